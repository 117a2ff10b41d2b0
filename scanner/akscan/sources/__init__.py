"""Sources turn scan targets into ``Blob``s: files on disk, stdin, git objects, staged content."""
