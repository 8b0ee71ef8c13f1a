"""Docker backend: builds the images and runs the reference topology on this machine."""
