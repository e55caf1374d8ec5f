package reports

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/island-sensors/island/harness"
)

// WriteFile writes r to path with write (WriteJUnit or WriteJSON), creating
// path's directory if need be. The file appears whole or not at all: it is
// written beside path under a temporary name and then renamed.
func WriteFile(path string, r *harness.RunResult,
	write func(io.Writer, *harness.RunResult) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create the report directory: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("cannot write the report %s: %w; check that %s is writable",
			path, err, dir)
	}
	defer os.Remove(f.Name()) // fails harmlessly once renamed
	buf := bufio.NewWriter(f)
	err = write(buf, r)
	if err == nil {
		err = buf.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("cannot write the report %s: %w", path, err)
	}
	return nil
}
