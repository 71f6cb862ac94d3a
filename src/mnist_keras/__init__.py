"""A small Keras CNN for MNIST: training, evaluation, speed benchmark.

TensorFlow turns its oneDNN CPU kernels on by default only on CPUs with AVX-512 VNNI/AMX class
features; on AVX2 CPUs (most laptops) it runs slower kernels: a default epoch took 50 s there
against 28-29 s with oneDNN. So importing this package turns them on, before TensorFlow is first
imported, unless the user set TF_ENABLE_ONEDNN_OPTS themselves.
"""
import os

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
