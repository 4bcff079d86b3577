package host

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/mmcseg/mmcseg/sdk"
)

// Format is an output format of `mmcseg segment`.
type Format string

// The output formats.
const (
	// FormatSEG: seg.dcm, a DICOM Segmentation (BINARY) referencing the
	// source images; DICOM inputs with UIDs only.
	FormatSEG Format = "seg"
	// FormatNIfTI: mask.nii.gz, a label map on the input's grid, with
	// mask_labels.txt (ITK-SNAP) and mask_labels.json beside it.
	FormatNIfTI Format = "nifti"
	// FormatPNG: preview.png, a montage of slices with the mask outlined;
	// for 2D image inputs also mask.png.
	FormatPNG Format = "png"
)

// DefaultFormats are written when Options.Formats is empty.
var DefaultFormats = []Format{FormatSEG, FormatNIfTI}

// ErrOptions reports options that cannot work together or a malformed value.
var ErrOptions = errors.New("bad options")

// ParseFormats reads a comma-separated list such as "seg,nifti,png".
func ParseFormats(s string) ([]Format, error) {
	var out []Format
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		switch Format(f) {
		case FormatSEG, FormatNIfTI, FormatPNG:
			if !slices.Contains(out, Format(f)) {
				out = append(out, Format(f))
			}
		case "":
		default:
			return nil, fmt.Errorf("%w: unknown format %q (want seg, nifti, png)", ErrOptions, f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no output format given", ErrOptions)
	}
	return out, nil
}

// Options configure Run. Inputs and OutDir are required; the zero value of
// everything else is a sensible default.
type Options struct {
	// Inputs are folders (walked recursively), DICOM files, NIfTI files
	// (.nii, .nii.gz, .hdr) and 2D images (PNG, JPEG, BMP, TIFF, WebP).
	Inputs []string
	// OutDir receives DIR/<patient>/<study>/<series>/ per series.
	OutDir string

	// Plugin is a plugin name (resolved by FindPlugin: mmcseg-plugin-NAME
	// next to the running executable, then on $MMCSEG_PLUGIN_PATH, then
	// on PATH) or a path to an executable (anything with a path
	// separator). "" means DefaultPlugin.
	Plugin string
	// Segmenter, if set, is used instead of a plugin executable: a Go
	// implementation served inside this process (sdk.ServeInProcess), one
	// per job slot, over the same wire path. Plugin and PluginSHA256 are
	// then ignored. A crash of the segmenter is a crash of the caller. With
	// Jobs > 1 every slot serves the same value, which must then be safe
	// for concurrent use.
	Segmenter sdk.Segmenter
	// PluginSHA256 pins the plugin executable to this hex SHA-256; a
	// different file is refused before it is started.
	PluginSHA256 string
	// Params are plugin parameters by name, checked against the plugin's
	// description before any series starts.
	Params map[string]string

	// Formats to write; empty means DefaultFormats.
	Formats []Format
	// Series restricts the batch to these SeriesInstanceUIDs (or series
	// keys); empty means all.
	Series []string
	// Shard restricts the batch to one part of it (see Shard).
	Shard Shard

	// Jobs is how many series run at once, each with its own plugin
	// process; 0 means 1.
	Jobs int
	// Threads is how many threads each plugin may use; 0 means the CPUs
	// divided by Jobs. The CPUs are runtime.GOMAXPROCS(0): the CPUs the
	// process may run on, within a container's CPU limit. Jobs × Threads
	// never exceeds them: a larger value is lowered, with a warning in the
	// report.
	Threads int
	// MemoryBudget bounds the bytes the series in flight may hold at once
	// in this process (labels and slices, estimated from rows × columns ×
	// slices); a series larger than the budget runs alone. 0 means
	// DefaultMemoryBudget.
	MemoryBudget int64

	// Force rewrites series that already have a complete result.
	Force bool

	// Modality is the DICOM modality given to plugins for NIfTI and image
	// inputs, which do not record one ("CT", "MR", …); "" sends "OT"
	// (other), which plugins whose segments are modality-specific refuse.
	Modality string
	// Image controls how 2D images are read.
	Image ImageOptions

	// Events receives progress events (see Event); nil ignores them.
	Events func(Event)
	// Logger receives the plugins' logs and go-plugin's messages; nil
	// discards them.
	Logger *slog.Logger

	// SEG writes DICOM-SEG; nil means the dicomio writer.
	SEG SEGWriter
	// PluginDirs is where plugin names are looked up; nil means
	// SearchPath().
	PluginDirs []SearchDir
	// StartTimeout and InactivityTimeout are passed to the plugin client
	// (sdk.ClientOptions); 0 means the sdk defaults.
	StartTimeout, InactivityTimeout time.Duration
	// PreviewTiles bounds the slices in a PNG montage; 0 means 16.
	PreviewTiles int
	// ToolVersion is recorded in every report ("dev" when empty).
	ToolVersion string
}

// DefaultPlugin is the plugin used when Options.Plugin is empty.
const DefaultPlugin = "mmcformer"

// DefaultMemoryBudget is the default Options.MemoryBudget: 4 GiB for the
// series in flight (the plugins' own memory is theirs).
const DefaultMemoryBudget int64 = 4 << 30
