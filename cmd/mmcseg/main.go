// Command mmcseg segments medical images without annotations: it reads DICOM
// series, NIfTI volumes and 2D images, runs a segmenter plugin on them and
// writes DICOM-SEG and NIfTI masks.
//
// This package only parses flags; the work is done by the library packages
// (host, dicomio, nifti, sdk). Exit status: 0 success, 1 failure, 2 usage
// error, 3 partly done (some series failed, the others were written).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Exit statuses, a contract for scripts (see README).
const (
	exitOK      = 0
	exitFailed  = 1
	exitUsage   = 2
	exitPartial = 3
)

// command is one subcommand. Each lives in its own file and registers itself
// in init, so that subcommands can be added without touching this file.
type command struct {
	name    string
	summary string
	// run parses args (everything after the subcommand name) and does the
	// work. It returns an exit status; errors are printed by run itself.
	run func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("mmcseg: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if args[0] == "--version" {
		args = []string{"version"}
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "mmcseg: unknown command %q (see mmcseg help)\n", args[0])
		return exitUsage
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "mmcseg segments medical images without annotations.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: mmcseg COMMAND [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'mmcseg COMMAND -h' for a command's flags.")
	fmt.Fprintln(w, "Exit status: 0 success, 1 failure, 2 usage error, 3 partly done.")
}

func init() {
	register(command{name: "version", summary: "print the version", run: runVersion})
}

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("version", "", stderr)
	if _, code, ok := parseFlags(fs, args); !ok {
		return code
	}
	fmt.Fprintln(stdout, "mmcseg", version)
	return exitOK
}

// newFlagSet returns a FlagSet for a subcommand that prints its usage to
// stderr and reports errors instead of exiting.
func newFlagSet(name, argsUsage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("mmcseg "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: mmcseg %s [flags] %s\n\n%s\n\nFlags:\n", name, argsUsage, commands[name].summary)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args with fs, allowing flags after positional arguments
// (mmcseg segment DIR --out X). It returns the positional arguments, or
// ok=false with the exit status to return.
func parseFlags(fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	for {
		if len(args) > 0 && args[0] == "--" {
			return append(pos, args[1:]...), 0, true
		}
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitUsage, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, 0, true
		}
		if len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			// Parse consumed a "--" terminator: the rest is positional.
			return append(pos, rest...), 0, true
		}
		// The first non-flag argument: keep it and go on parsing after it.
		i := 0
		for i < len(rest) && (!strings.HasPrefix(rest[i], "-") || rest[i] == "-") {
			pos = append(pos, rest[i])
			i++
		}
		args = rest[i:]
		if len(args) == 0 {
			return pos, 0, true
		}
	}
}
