"""The documentation site: MkDocs hooks that carry the repository's Markdown (ADR 0083)."""
