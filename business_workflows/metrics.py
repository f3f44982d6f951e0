"""The one way a business workflow charts its business metrics (the counts its handlers or log
metric filters emit): :func:`count_metric`, with the period, statistic and dimension of
``business_workflows.defaults``.
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import aws_cloudwatch as cloudwatch

from business_workflows.defaults import METRIC_DIMENSION, METRIC_PERIOD, METRIC_STATISTIC

__all__ = ["count_metric", "count_metrics"]


def count_metric(
    workflow_name: str, name: str, *, label: str | None = None, per_service: bool = True
) -> cloudwatch.Metric:
    """The count ``name`` in the namespace ``workflow_name``, summed over ``METRIC_PERIOD``.

    ``per_service`` (default): the metric carries the ``service`` dimension, as Powertools Metrics
    emits it (the handlers' ``service`` is the workflow's name). ``False`` for a count a log metric
    filter emits, which has no dimension.

    Example::

        count_metric("customer-onboarding", "CustomersOnboarded")
    """
    return cloudwatch.Metric(
        namespace=workflow_name,
        metric_name=name,
        dimensions_map={METRIC_DIMENSION: workflow_name} if per_service else None,
        statistic=METRIC_STATISTIC,
        period=METRIC_PERIOD,
        label=label,
    )


def count_metrics(
    workflow_name: str, names: Iterable[str], *, per_service: bool = True
) -> list[cloudwatch.Metric]:
    """:func:`count_metric` for each of ``names``, in order."""
    return [count_metric(workflow_name, name, per_service=per_service) for name in names]
