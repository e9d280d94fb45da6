"""``libmlflow.sklearn``: MLflow 3.17.2's ``mlflow.sklearn.save_model``/``log_model``/``load_model``
with MLflow's keyword arguments, so scikit-learn tutorials run with ``import libmlflow as mlflow``.

The estimator is serialized here exactly as MLflow's ``_save_model`` does it: ``skops.io.dump`` to
``model.skops`` by default (then loaded back with ``skops_trusted_types`` to fail early on untrusted
types), or ``cloudpickle``/``pickle`` to ``model.pkl``. The MLmodel (``sklearn`` and
``python_function`` flavors), ``requirements.txt``/``conda.yaml``/``python_env.yaml`` and the input
example are written by libmlflow's core. The requirements are what MLflow records for a scikit-learn
model: ``mlflow``, then the installed ``numpy``, ``pandas``, ``scikit-learn``, ``scipy`` and
``skops`` (or ``cloudpickle``) pinned to their installed versions. The signature, when not given,
is inferred from ``input_example`` and the model's ``predict`` output, as MLflow does.

``load_model`` reads the MLmodel through the core and deserializes with skops/cloudpickle/pickle,
refused when ``MLFLOW_ALLOW_PICKLE_DESERIALIZATION`` is false (MLflow's rule, skops included)."""

from __future__ import annotations

import logging
import os
import pickle
from typing import Any

from libmlflow import _framework
from libmlflow.exceptions import INVALID_PARAMETER_VALUE, MlflowException
from libmlflow.models import ModelInfo
from libmlflow.pyfunc import _refuse_unsupported

FLAVOR_NAME = "sklearn"
SERIALIZATION_FORMAT_PICKLE = "pickle"
SERIALIZATION_FORMAT_CLOUDPICKLE = "cloudpickle"
SERIALIZATION_FORMAT_SKOPS = "skops"
SUPPORTED_SERIALIZATION_FORMATS = [SERIALIZATION_FORMAT_PICKLE, SERIALIZATION_FORMAT_CLOUDPICKLE,
                                   SERIALIZATION_FORMAT_SKOPS]

_logger = logging.getLogger("libmlflow.sklearn")


def _installed_pin(dist: str) -> str | None:
    """``name==<installed version>`` (local labels such as ``+cpu`` dropped, as MLflow does)."""
    from importlib import metadata

    try:
        version = metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None
    return f"{dist}=={version.split('+', 1)[0]}"


def get_default_pip_requirements(include_cloudpickle: bool = False, include_skops: bool = False) -> list[str]:
    """MLflow's defaults for the flavor: ``scikit-learn`` (+ ``cloudpickle``/``skops``), installed versions."""
    names = ["scikit-learn"] + (["cloudpickle"] if include_cloudpickle else []) + (["skops"] if include_skops else [])
    return [pin for pin in map(_installed_pin, names) if pin]


def _requirements(serialization_format: str) -> list[str]:
    """What MLflow records for a scikit-learn model: its defaults united with what loading the
    model imports (numpy, pandas, scipy — seen by MLflow's requirement inference), sorted."""
    default = get_default_pip_requirements(serialization_format == SERIALIZATION_FORMAT_CLOUDPICKLE,
                                           serialization_format == SERIALIZATION_FORMAT_SKOPS)
    inferred = [pin for pin in map(_installed_pin, ["numpy", "pandas", "scipy"]) if pin]
    return sorted(set(default) | set(inferred))


def _check_format(serialization_format: str | None) -> str:
    if serialization_format is None:
        return SERIALIZATION_FORMAT_SKOPS
    if serialization_format not in SUPPORTED_SERIALIZATION_FORMATS:
        raise MlflowException(f"Unrecognized serialization format: {serialization_format}. Please specify one of the "
                              f"following supported formats: {SUPPORTED_SERIALIZATION_FORMATS}.",
                              error_code=INVALID_PARAMETER_VALUE)
    if serialization_format != SERIALIZATION_FORMAT_SKOPS:
        _logger.warning(
            "Saving scikit-learn models in the pickle or cloudpickle format requires exercising caution because "
            "these formats rely on Python's object serialization mechanism, which can execute arbitrary code during "
            "deserialization. The recommended safe alternative is the 'skops' format. For more information, see: "
            "https://scikit-learn.org/stable/model_persistence.html")
    return serialization_format


def _serialize_estimator(sk_model: Any, path: str, serialization_format: str, skops_trusted_types: Any) -> None:
    """MLflow's ``_save_model``: skops dumped then loaded back with the trusted types; (cloud)pickle dumped."""
    if serialization_format == SERIALIZATION_FORMAT_SKOPS:
        import skops.io
        from skops.io.exceptions import UntrustedTypesFoundException

        try:
            skops.io.dump(sk_model, path)
            skops.io.load(path, trusted=skops_trusted_types)
        except UntrustedTypesFoundException as e:
            raise MlflowException(
                "The saved sklearn model references untrusted types. If you are sure loading these types is safe, "
                "set the 'skops_trusted_types' parameter when calling 'log_model' or 'save_model' to the list of "
                f"trusted types. Root error: {e!s}", error_code=INVALID_PARAMETER_VALUE) from None
        except Exception as e:
            raise MlflowException(
                "The sklearn model could not be serialized in the skops serialization format. skops does not support "
                "custom functions or classes that are not defined at the top level. To work around this limitation, "
                "you can set the serialization_format 'cloudpickle', while exercising caution due to the possible "
                "arbitrary code during model deserialization using CloudPickle.",
                error_code=INVALID_PARAMETER_VALUE) from e
        return
    # Python's default protocol, as MLflow (cloudpickle's own default is the newest protocol).
    with open(path, "wb") as out:
        if serialization_format == SERIALIZATION_FORMAT_PICKLE:
            pickle.dump(sk_model, out, protocol=pickle.DEFAULT_PROTOCOL)
        else:
            import cloudpickle

            cloudpickle.dump(sk_model, out, protocol=pickle.DEFAULT_PROTOCOL)


def _serializer(sk_model: Any, serialization_format: str, skops_trusted_types: Any, pyfunc_predict_fn: str):
    def serialize(scratch: str):
        import sklearn

        if not hasattr(sk_model, "get_params"):
            raise MlflowException(f"sk_model must be a scikit-learn estimator, not {type(sk_model).__name__}",
                                  error_code=INVALID_PARAMETER_VALUE)
        if not hasattr(sk_model, pyfunc_predict_fn):
            # MLflow then logs the sklearn flavor alone; libmlflow's models always load as pyfunc.
            raise MlflowException(f"Model was missing function: {pyfunc_predict_fn}: libmlflow logs scikit-learn "
                                  "models with their python_function flavor, which calls it",
                                  error_code=INVALID_PARAMETER_VALUE)
        name = "model.skops" if serialization_format == SERIALIZATION_FORMAT_SKOPS else "model.pkl"
        path = _framework.joined(scratch, name)
        _serialize_estimator(sk_model, path, serialization_format, skops_trusted_types)
        options = {"serialization_format": serialization_format, "sklearn_version": sklearn.__version__,
                   "skops_trusted_types": None if skops_trusted_types is None else list(skops_trusted_types),
                   "pyfunc_predict_fn": pyfunc_predict_fn}
        return [path], options
    return serialize


def _predict(sk_model: Any, pyfunc_predict_fn: str):
    return lambda data: getattr(sk_model, pyfunc_predict_fn)(data)


def _default_requirements(serialization_format: str, pip_requirements: Any, extra_pip_requirements: Any):
    """(pip_requirements, extra) for the core: MLflow's rule — given ``pip_requirements`` replace
    everything; otherwise the flavor's defaults (installed versions), plus any extras."""
    if pip_requirements is not None:
        return pip_requirements, extra_pip_requirements
    defaults = _requirements(serialization_format)
    if extra_pip_requirements is None:
        return defaults, None
    from libmlflow.models._logging import _requirements as read_requirements

    return defaults + (read_requirements("extra_pip_requirements", extra_pip_requirements) or []), None


def save_model(sk_model: Any, path: "str | os.PathLike[str]", conda_env: Any = None, code_paths: Any = None,
               mlflow_model: Any = None, serialization_format: str | None = None, signature: Any = None,
               input_example: Any = None, pip_requirements: Any = None, extra_pip_requirements: Any = None,
               pyfunc_predict_fn: str = "predict", metadata: Any = None, extra_files: Any = None,
               skops_trusted_types: list[str] | None = None) -> None:
    """Writes the estimator as an MLflow model directory at ``path`` (absent or empty)."""
    _refuse_unsupported(conda_env=conda_env, mlflow_model=mlflow_model, extra_files=extra_files)
    fmt = _check_format(serialization_format)
    reqs, extra = _default_requirements(fmt, pip_requirements, extra_pip_requirements)
    _framework.save(FLAVOR_NAME, _serializer(sk_model, fmt, skops_trusted_types, pyfunc_predict_fn),
                    _predict(sk_model, pyfunc_predict_fn), path, code_paths=code_paths,
                    signature=None if signature is False else signature,
                    input_example=input_example, pip_requirements=reqs, extra_pip_requirements=extra,
                    metadata=metadata)


def log_model(sk_model: Any, artifact_path: str | None = None, conda_env: Any = None, code_paths: Any = None,
              serialization_format: str | None = None, registered_model_name: str | None = None,
              signature: Any = None, input_example: Any = None, await_registration_for: int = 300,
              pip_requirements: Any = None, extra_pip_requirements: Any = None, pyfunc_predict_fn: str = "predict",
              metadata: Any = None, extra_files: Any = None, params: dict[str, Any] | None = None,
              tags: dict[str, Any] | None = None, model_type: str | None = None, step: int = 0,
              model_id: str | None = None, name: str | None = None, skops_trusted_types: list[str] | None = None,
              **kwargs: Any) -> ModelInfo:
    """Logs the estimator as a LoggedModel of the active run (MLflow 3), optionally registering it
    as a new version of ``registered_model_name``. Returns a ``ModelInfo`` (``model_uri`` is
    ``models:/<model_id>``). The positional ``artifact_path`` is accepted with MLflow's warning."""
    _refuse_unsupported(conda_env=conda_env, extra_files=extra_files, model_id=model_id, **kwargs)
    fmt = _check_format(serialization_format)
    reqs, extra = _default_requirements(fmt, pip_requirements, extra_pip_requirements)
    return _framework.log(FLAVOR_NAME, _serializer(sk_model, fmt, skops_trusted_types, pyfunc_predict_fn),
                          _predict(sk_model, pyfunc_predict_fn), name=name, artifact_path=artifact_path,
                          code_paths=code_paths, signature=None if signature is False else signature,
                          input_example=input_example, pip_requirements=reqs, extra_pip_requirements=extra,
                          metadata=metadata, registered_model_name=registered_model_name, params=params, tags=tags,
                          model_type=model_type, step=step)


def _deserialization_allowed() -> bool:
    return os.environ.get("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true").strip().lower() in ("true", "1")


def load_model(model_uri: str, dst_path: str | None = None) -> Any:
    """The estimator of a logged or saved scikit-learn model (``models:/name@alias``,
    ``models:/<model_id>``, ``runs:/``, a local directory), deserialized as its MLmodel says."""
    local, conf = _framework.local_flavor(model_uri, dst_path, FLAVOR_NAME)
    fmt = conf.get("serialization_format", SERIALIZATION_FORMAT_PICKLE)
    if fmt not in SUPPORTED_SERIALIZATION_FORMATS:
        raise MlflowException(f"Unrecognized serialization format: {fmt}. Please specify one of the following "
                              f"supported formats: {SUPPORTED_SERIALIZATION_FORMATS}.",
                              error_code=INVALID_PARAMETER_VALUE)
    if not _deserialization_allowed():
        raise MlflowException(
            "Deserializing this model is disallowed because 'MLFLOW_ALLOW_PICKLE_DESERIALIZATION' is not set to "
            "'true'. Loading a model can execute arbitrary code from the model artifact, including models saved in "
            "the 'skops' format, whose trusted-types allow-list is read from the model itself. Only load models from "
            "trusted sources; set 'MLFLOW_ALLOW_PICKLE_DESERIALIZATION' to 'true' to allow loading.",
            error_code=INVALID_PARAMETER_VALUE)
    path = os.path.join(local, conf["pickled_model"])
    if fmt == SERIALIZATION_FORMAT_SKOPS:
        import skops.io

        return skops.io.load(path, trusted=conf.get("skops_trusted_types"))
    with open(path, "rb") as f:
        if fmt == SERIALIZATION_FORMAT_PICKLE:
            return pickle.load(f)
        import cloudpickle

        return cloudpickle.load(f)


__all__ = ["FLAVOR_NAME", "SERIALIZATION_FORMAT_CLOUDPICKLE", "SERIALIZATION_FORMAT_PICKLE",
           "SERIALIZATION_FORMAT_SKOPS", "SUPPORTED_SERIALIZATION_FORMATS", "get_default_pip_requirements",
           "load_model", "log_model", "save_model"]
