//go:build !unix

package nifti

// syncDir does nothing where folders cannot be opened for syncing
// (Windows); renames there are durable without it.
func syncDir(string) {}
