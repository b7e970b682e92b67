package migrate

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"

	atlasmigrate "ariga.io/atlas/sql/migrate"
)

// fsDir is a read-only Atlas migration directory over an fs.FS, such as the
// embedded one of package migrations. Atlas's LocalDir needs a real
// directory and its MemDir a copy; this reads the FS as LocalDir reads disk.
type fsDir struct{ fs.FS }

var _ atlasmigrate.Dir = fsDir{}

// WriteFile implements atlasmigrate.Dir; the directory is read-only.
func (fsDir) WriteFile(string, []byte) error {
	return errors.New("migrate: the migration directory is read-only")
}

// Files implements atlasmigrate.Dir: the .sql files, ordered by name.
func (d fsDir) Files() ([]atlasmigrate.File, error) {
	names, err := fs.Glob(d.FS, "*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	files := make([]atlasmigrate.File, 0, len(names))
	for _, n := range names {
		b, err := fs.ReadFile(d.FS, n)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", n, err)
		}
		files = append(files, atlasmigrate.NewLocalFile(n, b))
	}
	return files, nil
}

// Checksum implements atlasmigrate.Dir.
func (d fsDir) Checksum() (atlasmigrate.HashFile, error) {
	files, err := d.Files()
	if err != nil {
		return nil, err
	}
	return atlasmigrate.NewHashFile(files)
}
