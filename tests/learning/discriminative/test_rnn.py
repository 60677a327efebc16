"""The fused bidirectional LSTM layer against Keras's Bidirectional(LSTM)."""

from __future__ import annotations

import numpy as np
import pytest


def _keras_twin(units: int, fused_layer, *, return_sequences: bool):
    """A Keras Bidirectional(LSTM) given the fused layer's weights (same gate order i, f, c, o)."""
    import keras

    layer = keras.layers.Bidirectional(keras.layers.LSTM(units, return_sequences=return_sequences))
    kernel, recurrent, bias = (w.numpy() for w in (fused_layer.kernel, fused_layer.recurrent_kernel, fused_layer.bias))
    return layer, [kernel[0], recurrent[0], bias[0], kernel[1], recurrent[1], bias[1]]


@pytest.mark.slow  # imports TensorFlow
@pytest.mark.parametrize("return_sequences", [False, True])
def test_fused_bilstm_matches_keras_bidirectional_lstm_on_padded_batch(return_sequences):
    import keras

    from snorkel_ie.learning.discriminative._rnn import FusedBiLSTM

    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 6, 4)).astype(np.float32)
    lengths = np.array([6, 4, 1])
    mask = np.arange(6)[None, :] < lengths[:, None]
    x[~mask] = 0.0
    fused = FusedBiLSTM(5, return_sequences=return_sequences)
    got = np.asarray(fused(x, mask=mask))
    twin, weights = _keras_twin(5, fused, return_sequences=return_sequences)
    twin(x, mask=mask)
    twin.set_weights(weights)
    want = np.asarray(twin(x, mask=keras.ops.convert_to_tensor(mask)))
    if return_sequences:
        got, want = got[mask], want[mask]  # padded positions are not defined the same way
    np.testing.assert_allclose(got, want, atol=1e-5)
