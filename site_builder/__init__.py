"""The build step: content files -> validated model -> static client portals."""
