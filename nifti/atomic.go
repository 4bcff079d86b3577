package nifti

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
)

// staged is a complete, synced file under a temporary name in the folder of
// its final path, waiting to be renamed there.
type staged struct {
	tmp, path string
	size      int64
}

// stage writes what fill produces into a temporary file beside path and
// syncs it. On any error, including a cancelled ctx, the temporary file is
// removed.
func stage(ctx context.Context, path string, fill func(io.Writer) error) (st *staged, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	cw := &countWriter{w: bw}
	if err = fill(cw); err != nil {
		return nil, err
	}
	if err = bw.Flush(); err != nil {
		return nil, err
	}
	if err = f.Chmod(0o644); err != nil {
		return nil, err
	}
	if err = f.Sync(); err != nil {
		return nil, err
	}
	if err = f.Close(); err != nil {
		return nil, err
	}
	return &staged{tmp: f.Name(), path: path, size: cw.n}, nil
}

// commit renames the file into place, unless ctx is done.
func (s *staged) commit(ctx context.Context) error {
	return commitAll(ctx, []*staged{s})
}

// abort removes the temporary file.
func (s *staged) abort() { os.Remove(s.tmp) }

// commitAll renames staged files into place in order. If ctx is done
// before the first rename, or a rename fails, the files not yet renamed
// are removed.
func commitAll(ctx context.Context, all []*staged) error {
	if err := ctx.Err(); err != nil {
		for _, s := range all {
			s.abort()
		}
		return err
	}
	dirs := map[string]bool{}
	for i, s := range all {
		if err := os.Rename(s.tmp, s.path); err != nil {
			for _, r := range all[i:] {
				r.abort()
			}
			return err
		}
		dirs[filepath.Dir(s.path)] = true
	}
	// A rename is durable only once its folder is synced; the files are
	// complete either way, so a failure here is not an error.
	for d := range dirs {
		syncDir(d)
	}
	return nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
