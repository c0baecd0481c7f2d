"""One Powertools router per resource; `binsync.api.resolver` includes them all."""
