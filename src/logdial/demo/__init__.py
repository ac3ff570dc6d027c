"""A runnable demo: PyTorch's documented components and artifacts over a toy compile pipeline.

Run it with ``python -m logdial.demo``; ``TORCH_LOGS`` works as it does for PyTorch.
"""
