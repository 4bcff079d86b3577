package host

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// stagingPrefix starts the name of the folder a series' outputs are written
// into before they are moved into place.
const stagingPrefix = ".mmcseg-staging-"

// writeFileAtomic writes data to path through a synced temporary file in
// the same folder and a rename, so that path holds either its old content
// or all of data.
func writeFileAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !isUnsupportedSync(err) {
		return err
	}
	return nil
}

// isUnsupportedSync reports errors of file systems that cannot sync a
// folder (which then needs no sync).
func isUnsupportedSync(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, errors.ErrUnsupported)
}

// removeStaleStaging removes staging folders that a killed run left in a
// series folder. Only our own prefix is touched.
func removeStaleStaging(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), stagingPrefix) {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// commitStaged moves every file of the staging folder into dir, after
// removing dir's old report (so that no report ever describes a mix of old
// and new files), and removes the staging folder.
func commitStaged(staging, dir string, names []string) error {
	if err := os.Remove(filepath.Join(dir, ReportName)); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("removing the old %s: %w", ReportName, err)
	}
	for _, n := range names {
		if err := os.Rename(filepath.Join(staging, n), filepath.Join(dir, n)); err != nil {
			return err
		}
	}
	if err := os.Remove(staging); err != nil {
		return err
	}
	return syncDir(dir)
}
