"""The account generator, one module per product family (a mixin of `generator.Gen` each)."""
