"""A handler that publishes one metric per invocation, as binsync's handlers do."""

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

metrics = EphemeralMetrics(namespace="test")


@metrics.log_metrics
def lambda_handler(event, context):
    metrics.add_metric(name="Calls", unit=MetricUnit.Count, value=1)
    return {"ok": True}
