package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/mmcseg/mmcseg/host"
)

func init() {
	register(command{name: "convert", summary: "convert a DICOM series (or a folder holding one) to a NIfTI image, as dcm2niix would", run: runConvert})
}

func runConvert(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("convert", "IN... --out FILE.nii.gz", stderr)
	out := fs.String("out", "", "output `FILE` (.nii or .nii.gz), required")
	series := fs.String("series", "", "the series to convert, by SeriesInstanceUID `UID`, when IN holds several")
	split := fs.Bool("split", false, "write a series of several volumes (fMRI, repeated acquisitions) as one file per volume, FILE_vol1.nii.gz, …, instead of one 4-D file")
	inputs, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(inputs) == 0 {
		fs.Usage()
		return exitUsage
	}
	if *out == "" {
		fmt.Fprintln(stderr, "mmcseg convert: --out FILE.nii.gz is required")
		return exitUsage
	}
	res, err := host.Convert(ctx, host.ConvertOptions{Inputs: inputs, Series: *series, Out: *out, Split: *split})
	if err != nil {
		fmt.Fprintf(stderr, "mmcseg convert: %v\n", err)
		if errors.Is(err, host.ErrConvert) || errors.Is(err, host.ErrSeriesNotFound) {
			return exitUsage
		}
		return exitFailed
	}
	g := res.Grid
	what := fmt.Sprintf("%d×%d×%d", g.Columns, g.Rows, g.Slices)
	switch {
	case res.FourD:
		what += fmt.Sprintf("×%d: the series holds %d volumes at the same %d positions, written as one 4-D image", res.Volumes, res.Volumes, g.Slices)
	case res.Volumes > 1:
		what += fmt.Sprintf(": the series holds %d volumes at the same %d positions, split into %d files", res.Volumes, g.Slices, len(res.Files))
	}
	name := res.Series
	if res.Description != "" {
		name += " (" + res.Description + ")"
	}
	fmt.Fprintf(stdout, "series %s: %s, %s, voxels %.4g×%.4g×%.4g mm\n", name, what, res.Datatype, g.ColSpacing, g.RowSpacing, g.SliceSpacing)
	for _, f := range res.Files {
		fmt.Fprintf(stdout, "wrote %s\n", f)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stdout, "warning: %s\n", w)
	}
	if n := len(res.Skipped); n > 0 {
		fmt.Fprintf(stdout, "%d input files were in no series (see mmcseg inspect)\n", n)
	}
	return exitOK
}
