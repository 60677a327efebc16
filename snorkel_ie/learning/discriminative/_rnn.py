"""A bidirectional LSTM layer that runs both directions in one masked scan (TensorFlow).

Imported only from :mod:`._network` when a network is built. Keras's ``Bidirectional(LSTM)``
on CPU runs two while-loops whose every step multiplies the step's input by the input
kernel. Here the input projection of every time step and both directions is one matrix
product before the loop, and the loop body is one batched ``(2, B, H) @ (2, H, 4H)``
product plus the gate arithmetic, so a step costs a handful of ops for both directions.

Sequences are right-padded (id 0). The backward direction reads the time-reversed batch;
padding then comes first and the masked update keeps its state at zero until the first
real token, which is the same as reversing each sequence on its own.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

__all__ = ["FusedBiLSTM"]


class _StackedOrthogonal(keras.initializers.Initializer):
    """An orthogonal ``(H, 4H)`` matrix per direction, stacked to ``(2, H, 4H)``."""

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        orth = keras.initializers.Orthogonal()
        return tf.stack([orth(tuple(shape[1:]), dtype=dtype) for _ in range(shape[0])])


class _StackedGlorot(keras.initializers.Initializer):
    """Glorot-uniform ``(E, 4H)`` matrices per direction, stacked to ``(2, E, 4H)``."""

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        glorot = keras.initializers.GlorotUniform()
        return tf.stack([glorot(tuple(shape[1:]), dtype=dtype) for _ in range(shape[0])])


class FusedBiLSTM(keras.layers.Layer):
    """Masked bidirectional LSTM; gates in the order input, forget, cell, output.

    Parameters
    ----------
    units
        Hidden size per direction; the output has ``2 * units`` features.
    return_sequences
        Return the ``(B, T, 2 * units)`` hidden states (backward states aligned with
        their tokens) instead of the ``(B, 2 * units)`` final states.
    """

    def __init__(self, units: int, *, return_sequences: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.units = units
        self.return_sequences = return_sequences
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        e, h = int(input_shape[-1]), self.units
        self.kernel = self.add_weight(shape=(2, e, 4 * h), initializer=_StackedGlorot(), name="kernel")
        self.recurrent_kernel = self.add_weight(
            shape=(2, h, 4 * h), initializer=_StackedOrthogonal(), name="recurrent_kernel"
        )
        bias = np.zeros((2, 4 * h), dtype=np.float32)
        bias[:, h : 2 * h] = 1.0  # forget gates start open (Jozefowicz et al., 2015)
        self.bias = self.add_weight(shape=(2, 4 * h), initializer=keras.initializers.Constant(bias), name="bias")

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return mask if self.return_sequences else None

    def compute_output_shape(self, input_shape: Any) -> tuple:
        if self.return_sequences:
            return (input_shape[0], input_shape[1], 2 * self.units)
        return (input_shape[0], 2 * self.units)

    def call(self, inputs: Any, mask: Any = None) -> Any:
        x = tf.convert_to_tensor(inputs)
        m = tf.ones(tf.shape(x)[:2], x.dtype) if mask is None else tf.cast(mask, x.dtype)
        xs = tf.stack([x, tf.reverse(x, [1])])  # (2, B, T, E)
        ms = tf.stack([m, tf.reverse(m, [1])])  # (2, B, T)
        z_in = tf.einsum("dbte,deg->tdbg", xs, self.kernel) + self.bias[:, None, :]  # (T, 2, B, 4H)
        m_in = tf.transpose(ms, [2, 0, 1])[..., None]  # (T, 2, B, 1)
        zeros = tf.zeros(tf.stack([2, tf.shape(x)[0], self.units]), x.dtype)
        hs, _ = tf.scan(self._step, (z_in, m_in), initializer=(zeros, zeros))  # (T, 2, B, H)
        if not self.return_sequences:
            return tf.concat([hs[-1, 0], hs[-1, 1]], axis=-1)
        fwd = tf.transpose(hs[:, 0], [1, 0, 2])
        bwd = tf.reverse(tf.transpose(hs[:, 1], [1, 0, 2]), [1])
        return tf.concat([fwd, bwd], axis=-1)

    def _step(self, state: tuple[Any, Any], inp: tuple[Any, Any]) -> tuple[Any, Any]:
        h, c = state
        z, m = inp
        z = z + tf.matmul(h, self.recurrent_kernel)
        i, f, g, o = tf.split(z, 4, axis=-1)
        c_new = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
        h_new = tf.sigmoid(o) * tf.tanh(c_new)
        return h + m * (h_new - h), c + m * (c_new - c)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units, "return_sequences": self.return_sequences}
