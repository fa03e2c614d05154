"""Input checks shared by the estimators and metrics: numpy or torch in, float64 / int64 numpy out."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import torch

ArrayLike = npt.ArrayLike | torch.Tensor


def _to_numpy(x: ArrayLike) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def to_float_array(x: ArrayLike, name: str, ndim: int = 2) -> np.ndarray:
    """`x` as a finite float64 numpy array with `ndim` dimensions, else ValueError naming `name`."""
    arr = np.asarray(_to_numpy(x), dtype=np.float64)
    if arr.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-D array, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name}: expected a non-empty array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected finite values, found NaN or inf")
    return arr


def to_label_array(x: ArrayLike, name: str, ndim: int = 2) -> np.ndarray:
    """Integer-valued labels (e.g. factor indices) as int64 numpy with `ndim` dimensions."""
    arr = _to_numpy(x)
    if arr.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-D array of integer labels, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name}: expected a non-empty array, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        as_float = np.asarray(arr, dtype=np.float64)
        if not np.all(np.isfinite(as_float)) or np.any(as_float != np.round(as_float)):
            raise ValueError(f"{name}: expected integer labels, got dtype {arr.dtype} with non-integer values")
    return np.asarray(arr, dtype=np.int64)


def check_rows(a: np.ndarray, b: np.ndarray, names: tuple[str, str]) -> None:
    """Both arrays describe the same N points (same first dimension)."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"{names[0]} and {names[1]}: expected the same number of rows, got {a.shape} and {b.shape}")


def check_same_shape(a: np.ndarray, b: np.ndarray, names: tuple[str, str]) -> None:
    """Both arrays have exactly the same shape (e.g. mu and logvar)."""
    if a.shape != b.shape:
        raise ValueError(f"{names[0]} and {names[1]}: expected equal shapes, got {a.shape} and {b.shape}")


def gaussian_params(mu: ArrayLike, logvar: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Encoder parameters mu, logvar (N, K) as float64 numpy, checked to match."""
    mu_arr = to_float_array(mu, "mu")
    logvar_arr = to_float_array(logvar, "logvar")
    check_same_shape(mu_arr, logvar_arr, ("mu", "logvar"))
    return mu_arr, logvar_arr
