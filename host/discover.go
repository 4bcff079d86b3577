package host

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// PluginPrefix starts the file name of every plugin executable.
const PluginPrefix = "mmcseg-plugin-"

// EnvPluginPath names the environment variable listing extra folders to
// search for plugins (separated like PATH).
const EnvPluginPath = "MMCSEG_PLUGIN_PATH"

// ErrPluginNotFound reports a plugin name found in no searched folder.
var ErrPluginNotFound = errors.New("plugin not found")

// SearchDir is one folder searched for plugins and why it is searched.
type SearchDir struct {
	Dir string
	// Source is "executable" (the folder of the running program),
	// EnvPluginPath or "PATH".
	Source string
}

// SearchPath returns the folders plugin names resolve in, in order: the
// folder of the running executable (so plugins installed beside mmcseg are
// found first), the folders of $MMCSEG_PLUGIN_PATH, then those of $PATH.
// Folders listed twice are kept once, at their first place.
func SearchPath() []SearchDir {
	var dirs []SearchDir
	seen := map[string]bool{}
	add := func(d, src string) {
		if d == "" {
			return
		}
		if abs, err := filepath.Abs(d); err == nil {
			d = abs
		}
		if seen[d] {
			return
		}
		seen[d] = true
		dirs = append(dirs, SearchDir{Dir: d, Source: src})
	}
	if exe, err := os.Executable(); err == nil {
		add(filepath.Dir(exe), "executable")
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			add(filepath.Dir(real), "executable")
		}
	}
	for _, d := range filepath.SplitList(os.Getenv(EnvPluginPath)) {
		add(d, EnvPluginPath)
	}
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		add(d, "PATH")
	}
	return dirs
}

var pluginName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// IsPluginPath reports whether s names a file (it holds a path separator)
// rather than a plugin name.
func IsPluginPath(s string) bool {
	return strings.ContainsRune(s, '/') || strings.ContainsRune(s, filepath.Separator)
}

// FindPlugin resolves a plugin name to the executable mmcseg-plugin-NAME in
// the first of dirs that has one; a value with a path separator is taken as
// the executable's path. The result is an absolute path.
func FindPlugin(nameOrPath string, dirs []SearchDir) (string, error) {
	if IsPluginPath(nameOrPath) {
		p, err := filepath.Abs(nameOrPath)
		if err != nil {
			return "", err
		}
		if err := checkExecutable(p); err != nil {
			return "", fmt.Errorf("plugin %s: %w", nameOrPath, err)
		}
		return p, nil
	}
	if !pluginName.MatchString(nameOrPath) {
		return "", fmt.Errorf("%w: %q is not a plugin name (lower-case letters, digits, '.', '_', '-') nor a path", ErrPluginNotFound, nameOrPath)
	}
	file := PluginPrefix + nameOrPath
	var looked []string
	for _, d := range dirs {
		p := filepath.Join(d.Dir, file)
		if checkExecutable(p) == nil {
			return p, nil
		}
		looked = append(looked, d.Dir)
	}
	return "", fmt.Errorf("%w: no executable %s beside mmcseg, on $%s or on $PATH (looked in %s)",
		ErrPluginNotFound, file, EnvPluginPath, strings.Join(looked, ", "))
}

func checkExecutable(p string) error {
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file", p)
	case fi.Mode().Perm()&0o111 == 0:
		return fmt.Errorf("%s is not executable", p)
	}
	return nil
}

// FoundPlugin is a plugin executable found on the search path.
type FoundPlugin struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Source string `json:"source"`
	// Shadowed marks an executable that FindPlugin would not pick because
	// one of the same name comes earlier.
	Shadowed bool `json:"shadowed"`
}

// ListPlugins returns every mmcseg-plugin-NAME executable in dirs, in search
// order; names found again later are marked Shadowed.
func ListPlugins(dirs []SearchDir) []FoundPlugin {
	var out []FoundPlugin
	seen := map[string]bool{}
	for _, d := range dirs {
		entries, err := os.ReadDir(d.Dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			name, ok := strings.CutPrefix(e.Name(), PluginPrefix)
			if !ok || !pluginName.MatchString(name) {
				continue
			}
			p := filepath.Join(d.Dir, e.Name())
			if checkExecutable(p) != nil {
				continue
			}
			out = append(out, FoundPlugin{Name: name, Path: p, Source: d.Source, Shadowed: seen[name]})
			seen[name] = true
		}
	}
	slices.SortStableFunc(out, func(a, b FoundPlugin) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// FileSHA256 returns the hex SHA-256 of a file.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// parseSHA256 reads a hex SHA-256 as given to --plugin-sha256.
func parseSHA256(s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != sha256.Size {
		return nil, fmt.Errorf("%w: --plugin-sha256 %q is not 64 hex digits", ErrOptions, s)
	}
	return b, nil
}
