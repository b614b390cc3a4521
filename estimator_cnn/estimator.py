"""The real `tf.compat.v1.estimator`, on every supported TensorFlow: the one import users add.

    from estimator_cnn import estimator as tf_estimator

On TensorFlow <= 2.15 this is TensorFlow's own tf.estimator. On 2.16 and later
it is the same tensorflow-estimator package, loaded through
estimator_cnn.legacy.compat; after this import `tf.estimator`,
`tf.compat.v1.estimator` and `import tensorflow_estimator` work again too.
Every public name of the real module is here, its submodules included.
ESTIMATOR_CNN_BF16=1 runs every session with TensorFlow's oneDNN bfloat16 rewrite
(estimator_cnn.legacy.bfloat16_sessions).
"""

from estimator_cnn.legacy import bfloat16_sessions as _bfloat16_sessions
from estimator_cnn.legacy import compat as _compat

_estimator = _compat.load_estimator()
_bfloat16_sessions.install_if_requested()
__all__ = sorted(name for name in dir(_estimator) if not name.startswith("_"))
globals().update({name: getattr(_estimator, name) for name in __all__})
