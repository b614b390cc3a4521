"""Installs estimator_cnn and the `estimator-cnn` command, and nothing else at the top of
site-packages: flags/ goes in as estimator_cnn.flags (the link estimator_cnn/flags -> ../flags),
run.py's driver is estimator_cnn/__main__.py."""

import setuptools

setuptools.setup(
    name="estimator_cnn",
    version="0.1.0",
    description="A Fashion-MNIST CNN written the tf.estimator way, on TensorFlow 2.15 and 2.21",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=setuptools.find_packages(include=["estimator_cnn", "estimator_cnn.*"]),
    package_data={"estimator_cnn.experiments.ablation": ["studies.json"],
                  "estimator_cnn.legacy": ["*.json"]},
    python_requires=">=3.9",
    # TensorFlow >= 2.16 also needs tf-keras of the same minor version and the tf.estimator
    # 2.15 wheel: the `current` extra, or requirements.txt, pins them; `legacy` pins TensorFlow
    # 2.15, which brings tf.estimator itself.
    install_requires=["tensorflow>=2.15", "numpy", "absl-py", "matplotlib"],
    extras_require={
        "current": ["tensorflow==2.21.*", "tf-keras==2.21.*", "tensorflow-estimator==2.15.0"],
        "legacy": ["tensorflow==2.15.*", "numpy<2"],
        "test": ["pytest", "hypothesis"],
    },
    entry_points={"console_scripts": ["estimator-cnn=estimator_cnn.__main__:entry_point"]},
)
