package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mmcseg/mmcseg/host"
	"github.com/mmcseg/mmcseg/sdk"
)

func init() {
	registerPluginCommand("list", pluginCommand{
		summary: "list the plugins found (beside mmcseg, on $MMCSEG_PLUGIN_PATH, on $PATH) with what each says about itself",
		run:     runPluginList,
	})
}

// listedPlugin is one plugin of `mmcseg plugin list --json`.
type listedPlugin struct {
	host.FoundPlugin
	Description *sdk.Description `json:"description,omitempty"`
	Error       string           `json:"error,omitempty"`
}

func runPluginList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := pluginFlagSet("list", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	startTimeout := fs.Duration("start-timeout", 15*time.Second, "how long each plugin may take to start and describe itself")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		fs.Usage()
		return exitUsage
	}
	dirs := host.SearchPath()
	found := host.ListPlugins(dirs)
	list := make([]listedPlugin, len(found))
	for i, f := range found {
		list[i].FoundPlugin = f
		if f.Shadowed {
			continue
		}
		p, err := sdk.Open(ctx, f.Path, sdk.ClientOptions{StartTimeout: *startTimeout, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			list[i].Error = err.Error()
			continue
		}
		d := p.Description()
		list[i].Description = &d
		p.Close()
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			SearchPath []host.SearchDir `json:"search_path"`
			Plugins    []listedPlugin   `json:"plugins"`
		}{dirs, list}); err != nil {
			fmt.Fprintf(stderr, "mmcseg plugin list: %v\n", err)
			return exitFailed
		}
	} else {
		writePluginList(stdout, list)
	}
	if len(found) == 0 {
		fmt.Fprintf(stderr, "mmcseg plugin list: no %sNAME executable beside mmcseg, on $%s or on $PATH\n", host.PluginPrefix, host.EnvPluginPath)
		return exitFailed
	}
	return exitOK
}

func writePluginList(w io.Writer, list []listedPlugin) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tFOUND\tPATH")
	for _, p := range list {
		v := "-"
		switch {
		case p.Shadowed:
			v = "(shadowed)"
		case p.Description != nil:
			v = p.Description.Version
		case p.Error != "":
			v = "(broken)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Name, v, p.Source, p.Path)
	}
	tw.Flush()
	for _, p := range list {
		switch {
		case p.Error != "":
			fmt.Fprintf(w, "\n%s: does not start: %s\n", p.Name, p.Error)
		case p.Description != nil:
			d := p.Description
			fmt.Fprintf(w, "\n%s %s — %s\n", d.Name, d.Version, d.Summary)
			var inputs []string
			for _, f := range d.PixelFormats {
				inputs = append(inputs, f.String())
			}
			mods := "any modality"
			if len(d.Modalities) > 0 {
				mods = strings.Join(d.Modalities, ", ")
			}
			fmt.Fprintf(w, "  input: %s slices of %s, %s\n", d.InputMode, strings.Join(inputs, "/"), mods)
			for _, s := range d.Segments {
				where := ""
				if len(s.Modalities) > 0 || len(s.PixelFormats) > 0 {
					var f []string
					for _, pf := range s.PixelFormats {
						f = append(f, pf.String())
					}
					where = fmt.Sprintf(" (for %s)", strings.Trim(strings.Join(append(s.Modalities, f...), " "), " "))
				}
				fmt.Fprintf(w, "  segment %d: %s%s, %s\n", s.Number, s.Label, where, s.Type)
			}
			for _, par := range d.Parameters {
				rng := ""
				if par.Min != nil || par.Max != nil {
					lo, hi := "", ""
					if par.Min != nil {
						lo = fmt.Sprint(*par.Min)
					}
					if par.Max != nil {
						hi = fmt.Sprint(*par.Max)
					}
					rng = fmt.Sprintf(" [%s, %s]", lo, hi)
				}
				if len(par.Choices) > 0 {
					rng = " {" + strings.Join(par.Choices, ", ") + "}"
				}
				fmt.Fprintf(w, "  --param %s=%s (%s%s) %s\n", par.Name, par.Default, par.Type, rng, par.Description)
			}
		}
	}
}
