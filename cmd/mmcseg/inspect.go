package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/mmcseg/mmcseg/dicomio"
	"github.com/mmcseg/mmcseg/dicomio/codec"
)

func init() {
	register(command{name: "inspect", summary: "list the DICOM series under folders or files, and what was skipped", run: runInspect})
}

func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("inspect", "PATH...", stderr)
	asJSON := fs.Bool("json", false, "print JSON (one object per series, and the skipped files) instead of a table")
	workers := fs.Int("workers", 0, "headers read at once (0: one per CPU)")
	paths, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(paths) == 0 {
		fs.Usage()
		return exitUsage
	}
	res, err := dicomio.Scan(ctx, paths, dicomio.ScanOptions{Workers: *workers})
	if err != nil {
		fmt.Fprintf(stderr, "mmcseg inspect: %v\n", err)
		return exitFailed
	}
	if *asJSON {
		if err := inspectJSON(stdout, res); err != nil {
			fmt.Fprintf(stderr, "mmcseg inspect: %v\n", err)
			return exitFailed
		}
	} else {
		inspectTable(stdout, res)
	}
	if len(res.Series) == 0 {
		fmt.Fprintln(stderr, "mmcseg inspect: no DICOM image series found")
		return exitFailed
	}
	return exitOK
}

// inspectSeries is the JSON form of a series.
type inspectSeries struct {
	SeriesUID           string     `json:"series_uid"`
	Key                 string     `json:"key"`
	StudyUID            string     `json:"study_uid"`
	FrameOfReferenceUID string     `json:"frame_of_reference_uid"`
	PatientID           string     `json:"patient_id"`
	PatientName         string     `json:"patient_name"`
	StudyDate           string     `json:"study_date"`
	StudyDescription    string     `json:"study_description"`
	SeriesDescription   string     `json:"series_description"`
	SeriesNumber        int        `json:"series_number"`
	Modality            string     `json:"modality"`
	Manufacturer        string     `json:"manufacturer"`
	BodyPart            string     `json:"body_part"`
	SOPClassUID         string     `json:"sop_class_uid"`
	Slices              int        `json:"slices"`
	Volumes             int        `json:"volumes"`
	Images              int        `json:"images"`
	Rows                int        `json:"rows"`
	Columns             int        `json:"columns"`
	SamplesPerPixel     int        `json:"samples_per_pixel"`
	Photometric         string     `json:"photometric"`
	BitsStored          int        `json:"bits_stored"`
	Signed              bool       `json:"signed"`
	Spacing             [3]float64 `json:"spacing"` // row, column, slice (mm)
	Origin              [3]float64 `json:"origin"`  // LPS, mm
	Orientation         [6]float64 `json:"orientation"`
	Plane               string     `json:"plane"`
	TransferSyntaxes    []string   `json:"transfer_syntaxes"`
	Mosaic              bool       `json:"mosaic"`
	Volume              bool       `json:"volume"`
	VolumeError         string     `json:"volume_error,omitempty"`
	Warnings            []string   `json:"warnings"`
}

type inspectSkipped struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

func inspectJSON(w io.Writer, res *dicomio.ScanResult) error {
	out := struct {
		Series  []inspectSeries  `json:"series"`
		Skipped []inspectSkipped `json:"skipped"`
	}{Series: []inspectSeries{}, Skipped: []inspectSkipped{}}
	for _, s := range res.Series {
		g := s.Grid
		j := inspectSeries{
			SeriesUID:           s.SeriesInstanceUID,
			Key:                 s.Key,
			StudyUID:            s.StudyInstanceUID,
			FrameOfReferenceUID: s.FrameOfReferenceUID,
			PatientID:           s.PatientID,
			PatientName:         s.PatientName,
			StudyDate:           s.StudyDate,
			StudyDescription:    s.StudyDescription,
			SeriesDescription:   s.SeriesDescription,
			SeriesNumber:        s.SeriesNumber,
			Modality:            s.Modality,
			Manufacturer:        s.Manufacturer,
			BodyPart:            s.BodyPartExamined,
			SOPClassUID:         s.SOPClassUID,
			Slices:              g.Slices,
			Volumes:             s.Volumes,
			Images:              len(s.Slices),
			Rows:                s.Rows,
			Columns:             s.Columns,
			SamplesPerPixel:     s.SamplesPerPixel,
			Photometric:         s.Photometric,
			BitsStored:          s.BitsStored,
			Signed:              s.Signed,
			Spacing:             [3]float64{g.RowSpacing, g.ColSpacing, g.SliceSpacing},
			Origin:              g.Origin,
			Orientation:         [6]float64{g.RowDir[0], g.RowDir[1], g.RowDir[2], g.ColDir[0], g.ColDir[1], g.ColDir[2]},
			Plane:               g.Plane(),
			TransferSyntaxes:    s.TransferSyntaxes,
			Mosaic:              s.Mosaic,
			Volume:              s.VolumeErr == nil,
			Warnings:            s.Warnings,
		}
		if j.Warnings == nil {
			j.Warnings = []string{}
		}
		if s.VolumeErr != nil {
			j.VolumeError = volumeReason(s.VolumeErr)
		}
		out.Series = append(out.Series, j)
	}
	for _, sk := range res.Skipped {
		out.Skipped = append(out.Skipped, inspectSkipped{Path: sk.Path, Reason: sk.Reason})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func inspectTable(w io.Writer, res *dicomio.ScanResult) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tPATIENT\tSTUDY DATE\tMODALITY\tDESCRIPTION\tSLICES\tCOLS×ROWS\tSPACING (mm)\tORIENTATION\tTRANSFER SYNTAX\tVOLUME\tWARNINGS")
	for i, s := range res.Series {
		g := s.Grid
		slices := strconv.Itoa(g.Slices)
		if s.Volumes > 1 {
			slices += fmt.Sprintf(" ×%d", s.Volumes)
		}
		var ts []string
		for _, uid := range s.TransferSyntaxes {
			ts = append(ts, codec.Name(uid))
		}
		vol := "yes"
		if s.VolumeErr != nil {
			vol = "no"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d×%d\t%s×%s×%s\t%s\t%s\t%s\t%d\n", i+1,
			cell(patient(s)), cell(s.StudyDate), cell(s.Modality), cell(s.SeriesDescription), slices, s.Columns, s.Rows,
			num(g.RowSpacing), num(g.ColSpacing), num(g.SliceSpacing), g.Plane(), strings.Join(ts, ", "), vol, len(s.Warnings))
	}
	tw.Flush()
	for i, s := range res.Series {
		if s.VolumeErr == nil && len(s.Warnings) == 0 {
			continue
		}
		fmt.Fprintf(w, "\nSeries %d (%s):\n", i+1, s.Key)
		if s.VolumeErr != nil {
			fmt.Fprintf(w, "  not a volume: %s\n", volumeReason(s.VolumeErr))
		}
		for _, warn := range s.Warnings {
			fmt.Fprintf(w, "  warning: %s\n", warn)
		}
	}
	if len(res.Skipped) > 0 {
		fmt.Fprintf(w, "\nSkipped (%d):\n", len(res.Skipped))
		for _, sk := range res.Skipped {
			fmt.Fprintf(w, "  %s: %s\n", sk.Path, sk.Reason)
		}
	}
}

// volumeReason says why a series is not a volume, without repeating its
// key.
func volumeReason(err error) string {
	var ve *dicomio.VolumeError
	if errors.As(err, &ve) {
		if ve.Detail == "" {
			return ve.Err.Error()
		}
		return ve.Err.Error() + ": " + ve.Detail
	}
	return err.Error()
}

func patient(s *dicomio.Series) string {
	switch {
	case s.PatientName != "" && s.PatientID != "":
		return s.PatientName + " (" + s.PatientID + ")"
	case s.PatientName != "":
		return s.PatientName
	}
	return s.PatientID
}

// cell keeps a table cell on one line and not too wide.
func cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "-"
	}
	if r := []rune(s); len(r) > 32 {
		return string(r[:31]) + "…"
	}
	return s
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
