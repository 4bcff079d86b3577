// Package host runs segmentations: it finds the series in folders of DICOM
// files, NIfTI volumes and 2D images, streams their slices through a
// segmenter plugin, and writes DICOM-SEG, NIfTI label maps, PNG previews and
// a report per series. It is the library behind `mmcseg segment`, `mmcseg
// convert` and `mmcseg demo`, for programs that embed mmcseg.
//
// # Running a batch
//
// Run takes Options and returns a Report; Options.Events receives progress
// Events as the batch goes. The pipeline, in run.go, reads top to bottom:
// scan → select (Options.Series, Options.Shard) → start the plugin and check
// the parameters against its description → per series, Jobs at a time
// within a memory budget: skip it if complete, stream its slices through
// the plugin (one plugin process per job slot, reused across series,
// started again after a crash) into a label volume, write the outputs to a
// staging folder, move them into place, write report.json last.
//
// Plugins are executables named mmcseg-plugin-NAME, found beside the
// running program, then on $MMCSEG_PLUGIN_PATH, then on $PATH (FindPlugin,
// ListPlugins); Options.PluginSHA256 pins the executable. A Go segmenter can
// also run inside the calling process (Options.Segmenter).
//
// Threads: each plugin gets Threads = CPUs / Jobs unless told otherwise, and
// Jobs × Threads never exceeds the CPUs (runtime.GOMAXPROCS(0), which
// follows a container's CPU limit). Memory: a series holds about rows ×
// columns × slices bytes of labels plus a few slices in this process while
// it runs (more for NIfTI inputs, read whole); series wait while the ones in
// flight would exceed Options.MemoryBudget, and one larger than the budget
// runs alone.
//
// # Inputs
//
// DICOM series come from dicomio.Scan (ordering, geometry, skipped files
// with reasons). A series that is not a regular volume (dicomio's
// VolumeErr: missing slices, mixed orientations, …) fails with that reason;
// a gantry-tilted one is segmented and its NIfTI keeps the tilt. Of a series
// of several volumes (time points) the first is segmented, with a warning.
// NIfTI files (.nii, .nii.gz, .hdr) are read whole with package nifti and
// handed over slice by slice like a DICOM series; their masks land on the
// same voxels. 2D images (ReadImage: PNG including 16-bit grey, JPEG, BMP,
// TIFF, WebP, GIF) are one-slice series without geometry: 8-bit grey goes to
// plugins as UINT8, 16-bit grey as FLOAT32 (ImageOptions.SignedOffset16 for
// files that store a signed value + 32768, never guessed), colour as RGB8.
// NIfTI and image inputs carry no modality: Options.Modality gives one
// ("CT"), otherwise plugins see "OT" and modality-specific segments do not
// apply (the error says so).
//
// # Outputs
//
// Every series gets OutDir/<patient>/<study>/<series>/ (SeriesDir: each
// component sanitised by SanitizeComponent, so hostile UIDs such as
// "../../x" stay inside OutDir; for NIfTI and image inputs the components
// are "nifti" or "images", the parent folder's name and the file's stem),
// holding as asked:
//
//   - seg.dcm: DICOM-SEG (BINARY) through dicomio.WriteSEG. Not written,
//     with a warning, for NIfTI and image inputs, for DICOM sources without
//     UIDs (use NIfTI), and for an empty mask (the SEG writer's policy).
//   - mask.nii.gz with mask_labels.txt (ITK-SNAP) and mask_labels.json:
//     the label map on the input's grid (a 1 mm grid for 2D images).
//   - preview.png: up to 16 slices with foreground, each segment tinted and
//     outlined in its colour (CT in the lung window); for 2D images also
//     mask.png (0/255 for a one-segment plugin, else the label values).
//   - report.json (SeriesReport, format ReportFormat), always last.
//
// Files are written into a staging folder inside the series folder and
// renamed into place only when all are complete; an old report.json is
// removed first, so a report never describes a mix of old and new files.
// An interrupted or failed series leaves nothing new behind.
//
// # Resume
//
// A series is complete when its report.json says outcome "ok", lists
// outputs that exist with the sizes it lists, and covers the formats asked
// for. A complete series made by the same plugin, version and parameters
// is skipped (OutcomeSkipped); one made differently is not overwritten: it
// fails with a message, and Options.Force rewrites it. An incomplete one is
// done again.
//
// # Progress events as JSON lines
//
// Event.MarshalJSON writes one object per event with "event" (the
// EventKind) and "time" (RFC 3339, UTC), and the fields of its kind:
//
//	batch_started   found, total, skipped_inputs
//	series_started  series, index, slices, dir, description, modality
//	progress        series, index, slices, slice, iteration, iterations, fraction, message
//	slice_done      series, index, slices, slice, done, fraction
//	series_done     series, index, slices, dir, outcome, error?, outputs, warnings?, seconds
//	batch_done      found, total, ok, failed, skipped, cancelled, seconds
//
// "series" is the series key (SeriesInstanceUID, a synthetic key, or
// "file-…" for NIfTI and image inputs), "index" its 1-based place among the
// "total" series of the batch, "fraction" the part of the series done
// (0..1), "outcome" one of ok, failed, skipped, cancelled. Progress renders
// events for people (bars on a terminal, plain lines otherwise) or as these
// JSON lines; WriteSummary prints the final table.
//
// # Faults
//
// A series fails alone — not a volume, refused by the plugin, a slice the
// plugin could not segment (the message names it), a plugin crash or hang
// (the next series starts a new plugin process), a write error — and its
// error is in the report. Run returns an error only for the batch as a whole
// (bad options, no series, a plugin that cannot start or refuses the
// parameters, a cancelled context); on cancellation the plugins are stopped,
// series in flight are reported as cancelled and leave no files.
//
// # Scale-out
//
// Options.Shard selects the series whose key hashes (FNV-1a 64) to one part
// of a split, so a cluster's job array splits an archive with no
// coordinator; see docs/scale-out.md.
//
// # Conversion and demo
//
// Convert writes a DICOM series as NIfTI as dcm2niix would (4-D or split
// for series of several volumes). WritePhantom makes a synthetic, left-right
// asymmetric chest CT series with its lung truth, and RunDemo segments it
// and scores the result (Dice).
package host
