"""Regional and global building blocks: data plane, global tables, observability, shared helpers."""
