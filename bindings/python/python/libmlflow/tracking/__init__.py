"""``libmlflow.tracking``: :class:`MlflowClient`, as ``mlflow.tracking`` offers it."""

from libmlflow.tracking.client import MlflowClient

__all__ = ["MlflowClient"]
