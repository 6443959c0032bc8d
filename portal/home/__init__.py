"""The top level: pages and documents that read across the engagement and documents apps."""
