"""Code that runs inside the sandbox; it holds no reference solution and no hidden test."""
