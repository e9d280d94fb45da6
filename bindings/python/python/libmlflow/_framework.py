"""What the framework flavors (``onnx`` aside: see its module) share: serialize the model with the
framework into a scratch directory, infer the signature from the input example by running the
model, and hand the files to libmlflow's core (``save_model``) or log them (``log_model``)."""

from __future__ import annotations

import os
import tempfile
from typing import Any, Callable

from libmlflow.models import ModelInfo
from libmlflow.models._logging import (example_spec, log_spec, model_spec, resolve_name, save_spec,
                                       signature_from_example)

# (files, options) for a scratch directory.
Serializer = Callable[[str], "tuple[list[str], dict[str, Any]]"]


def save(flavor: str, serialize: Serializer, predict: Callable[[Any], Any] | None, path: Any, *, code_paths: Any,
         signature: Any, input_example: Any, pip_requirements: Any, extra_pip_requirements: Any,
         metadata: Any) -> None:
    with tempfile.TemporaryDirectory(prefix=f"libmlflow-{flavor}-") as scratch:
        files, options = serialize(scratch)
        example_spec(input_example)  # an unsupported example is refused before the model runs on it
        if signature is None:
            signature = signature_from_example(input_example, predict)
        save_spec(model_spec(flavor, files=files, options=options, code_paths=code_paths, signature=signature,
                             input_example=input_example, pip_requirements=pip_requirements,
                             extra_pip_requirements=extra_pip_requirements, metadata=metadata), path)


def log(flavor: str, serialize: Serializer, predict: Callable[[Any], Any] | None, *, name: str | None,
        artifact_path: str | None, code_paths: Any, signature: Any, input_example: Any, pip_requirements: Any,
        extra_pip_requirements: Any, metadata: Any, registered_model_name: str | None, params: Any, tags: Any,
        model_type: str | None, step: int) -> ModelInfo:
    name = resolve_name(name, artifact_path)
    with tempfile.TemporaryDirectory(prefix=f"libmlflow-{flavor}-") as scratch:
        files, options = serialize(scratch)
        example_spec(input_example)  # an unsupported example is refused before the model runs on it
        if signature is None:
            signature = signature_from_example(input_example, predict)
        spec = model_spec(flavor, files=files, options=options, code_paths=code_paths, signature=signature,
                          input_example=input_example, pip_requirements=pip_requirements,
                          extra_pip_requirements=extra_pip_requirements, metadata=metadata)
        return log_spec(spec, name=name, registered_model_name=registered_model_name, params=params, tags=tags,
                        model_type=model_type, step=step)


def local_flavor(model_uri: str, dst_path: str | None, flavor: str) -> tuple[str, dict[str, Any]]:
    """(local model directory, the flavor's MLmodel section) of a model URI, or a clear error."""
    from libmlflow.exceptions import RESOURCE_DOES_NOT_EXIST, MlflowException
    from libmlflow.models import Model
    from libmlflow.pyfunc import download_model

    local = download_model(model_uri, dst_path)
    conf = Model.load(local).flavors.get(flavor)
    if conf is None:
        raise MlflowException(f'Model does not have the "{flavor}" flavor', error_code=RESOURCE_DOES_NOT_EXIST)
    return local, conf


def class_name(obj: Any) -> str:
    return f"{type(obj).__module__}.{type(obj).__name__}"


def joined(scratch: str, name: str) -> str:
    return os.path.join(scratch, name)
