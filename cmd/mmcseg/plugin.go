package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/mmcseg/mmcseg/sdk"
	"github.com/mmcseg/mmcseg/sdk/plugintest"
)

func init() {
	register(command{name: "plugin", summary: "work with segmenter plugins (mmcseg plugin check PATH)", run: runPlugin})
}

// pluginCommand is a sub-command of `mmcseg plugin`. Each lives in its own
// function, registered with registerPluginCommand from an init function
// (check is here; list can be added the same way in its own file).
type pluginCommand struct {
	argsUsage string
	summary   string
	run       func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

var pluginCommands = map[string]pluginCommand{}

func registerPluginCommand(name string, c pluginCommand) {
	if _, dup := pluginCommands[name]; dup {
		panic("mmcseg: plugin command registered twice: " + name)
	}
	pluginCommands[name] = c
}

func init() {
	registerPluginCommand("check", pluginCommand{
		argsUsage: "PATH",
		summary:   "run the conformance kit on the plugin executable PATH (exit 0 if every check passes, 1 otherwise)",
		run:       runPluginCheck,
	})
}

func runPlugin(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := stderr
		code := exitUsage
		if len(args) > 0 {
			w, code = stdout, exitOK
		}
		pluginUsage(w)
		return code
	}
	c, ok := pluginCommands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "mmcseg plugin: unknown command %q (see mmcseg plugin help)\n", args[0])
		return exitUsage
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func pluginUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: mmcseg plugin COMMAND [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(pluginCommands))
	for n := range pluginCommands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, pluginCommands[n].summary)
	}
}

// pluginFlagSet is newFlagSet for `mmcseg plugin NAME`.
func pluginFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	c := pluginCommands[name]
	fs := flag.NewFlagSet("mmcseg plugin "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: mmcseg plugin %s [flags] %s\n\n%s\n\nFlags:\n", name, c.argsUsage, c.summary)
		fs.PrintDefaults()
	}
	return fs
}

// paramFlag collects repeated --param name=value flags.
type paramFlag map[string]string

func (p paramFlag) String() string {
	var s []string
	for k, v := range p {
		s = append(s, k+"="+v)
	}
	sort.Strings(s)
	return strings.Join(s, ",")
}

func (p paramFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want name=value, got %q", v)
	}
	p[k] = val
	return nil
}

func runPluginCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := pluginFlagSet("check", stderr)
	params := paramFlag{}
	fs.Var(params, "param", "plugin parameter `name=value` sent with every series (repeatable), e.g. to make a slow plugin quick")
	startTimeout := fs.Duration("start-timeout", 30*time.Second, "how long the plugin may take to start and describe itself")
	inactivity := fs.Duration("timeout", time.Minute, "how long a series may go without any message from the plugin before it counts as hung")
	seriesTimeout := fs.Duration("series-timeout", 5*time.Minute, "the longest any one test series may take")
	large := fs.Int("large", 2048, "side of the large-slice check (4096 sends a 64 MiB float32 slice)")
	tlsMode := fs.String("tls", "auto", "AutoMTLS: auto (for Go binaries), on or off")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	verbose := fs.Bool("v", false, "print the plugin's log on stderr")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitUsage
	}
	opts := plugintest.Options{
		Params:            params,
		StartTimeout:      *startTimeout,
		InactivityTimeout: *inactivity,
		SeriesTimeout:     *seriesTimeout,
		LargeSide:         *large,
	}
	switch *tlsMode {
	case "auto":
		opts.TLS = sdk.TLSAuto
	case "on":
		opts.TLS = sdk.TLSOn
	case "off":
		opts.TLS = sdk.TLSOff
	default:
		fmt.Fprintf(stderr, "mmcseg plugin check: --tls must be auto, on or off, not %q\n", *tlsMode)
		return exitUsage
	}
	if *verbose {
		opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	r, err := plugintest.Check(ctx, pos[0], opts)
	if *asJSON {
		out := struct {
			Passed bool `json:"passed"`
			*plugintest.Report
		}{r.Passed(), r}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "mmcseg plugin check: %v\n", err)
			return exitFailed
		}
	} else if err := r.Write(stdout); err != nil {
		fmt.Fprintf(stderr, "mmcseg plugin check: %v\n", err)
		return exitFailed
	}
	if err != nil {
		fmt.Fprintf(stderr, "mmcseg plugin check: %v\n", err)
		return exitFailed
	}
	if !r.Passed() {
		return exitFailed
	}
	return exitOK
}
