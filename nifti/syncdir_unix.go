//go:build unix

package nifti

import "os"

// syncDir makes a rename in dir durable (POSIX needs the folder fsynced).
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}
