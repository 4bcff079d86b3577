package nifti

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// itkRow is one line of an ITK-SNAP label description file.
type itkRow struct {
	idx, r, g, b, vis, mesh int
	alpha                   float64
	label                   string
}

// parseITKSNAP reads a label description file as ITK-SNAP's
// ColorLabelTable::LoadFromFile does: lines that start with '#' and empty
// lines are skipped; the others hold IDX R G B (integers), A (a float), VIS
// and MSH (integers) separated by white space, then the label: the text
// between the next double quote and the one after it.
func parseITKSNAP(t *testing.T, b []byte) []itkRow {
	t.Helper()
	var rows []itkRow
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		s := sc.Text()
		if s == "" || s[0] == '#' {
			continue
		}
		q := strings.IndexByte(s, '"')
		if q < 0 {
			t.Fatalf("line %d has no quoted label: %q", line, s)
		}
		f := strings.Fields(s[:q])
		if len(f) != 7 {
			t.Fatalf("line %d has %d numeric fields: %q", line, len(f), s)
		}
		var row itkRow
		ints := []*int{&row.idx, &row.r, &row.g, &row.b, nil, &row.vis, &row.mesh}
		for i, p := range ints {
			var err error
			if p == nil {
				row.alpha, err = strconv.ParseFloat(f[i], 64)
			} else {
				*p, err = strconv.Atoi(f[i])
			}
			if err != nil {
				t.Fatalf("line %d field %d: %v", line, i, err)
			}
		}
		rest := s[q+1:]
		end := strings.IndexByte(rest, '"')
		if end < 0 {
			t.Fatalf("line %d: label not closed: %q", line, s)
		}
		row.label = rest[:end]
		rows = append(rows, row)
	}
	return rows
}

var testTable = LabelTable{
	{Value: 1, Name: "Lung", Color: [3]uint8{128, 174, 128},
		Category: &Code{"123037004", "SCT", "Anatomical Structure"}, Type: &Code{"39607008", "SCT", "Lung"}},
	{Value: 2, Name: `the "odd" one`, Color: [3]uint8{255, 0, 7}},
	{Value: 200, Name: "two\nlines\tand tab", Color: [3]uint8{1, 2, 3}},
}

func TestITKSNAPLabelFile(t *testing.T) {
	var buf bytes.Buffer
	if err := testTable.WriteITKSNAP(&buf); err != nil {
		t.Fatal(err)
	}
	rows := parseITKSNAP(t, buf.Bytes())
	want := []itkRow{
		{0, 0, 0, 0, 0, 0, 0, "Clear Label"},
		{1, 128, 174, 128, 1, 1, 1, "Lung"},
		{2, 255, 0, 7, 1, 1, 1, "the 'odd' one"},
		{200, 1, 2, 3, 1, 1, 1, "two lines and tab"},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Fatalf("ITK-SNAP would read\n%v\nwant\n%v\nfile:\n%s", rows, want, buf.String())
	}
}

func TestLabelJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := testTable.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Format string `json:"format"`
		Labels []struct {
			Value    int               `json:"value"`
			Name     string            `json:"name"`
			Color    []int             `json:"color"`
			Category map[string]string `json:"category"`
			Type     map[string]string `json:"type"`
		} `json:"labels"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Format != LabelJSONFormat || len(got.Labels) != 3 {
		t.Fatalf("format %q, %d labels", got.Format, len(got.Labels))
	}
	l := got.Labels[0]
	if l.Value != 1 || l.Name != "Lung" || fmt.Sprint(l.Color) != "[128 174 128]" ||
		l.Type["CodeValue"] != "39607008" || l.Type["CodingSchemeDesignator"] != "SCT" || l.Category["CodeMeaning"] != "Anatomical Structure" {
		t.Fatalf("first label %+v", l)
	}
	if got.Labels[2].Name != "two\nlines\tand tab" || got.Labels[1].Category != nil {
		t.Fatalf("labels %+v", got.Labels)
	}
}

func TestLabelTableValidate(t *testing.T) {
	for _, c := range []struct {
		t       LabelTable
		mention string
	}{
		{LabelTable{{Value: 0, Name: "background"}}, "value 0"},
		{LabelTable{{Value: 3, Name: "a"}, {Value: 3, Name: "b"}}, "twice"},
		{LabelTable{{Value: 4, Name: "  "}}, "no name"},
	} {
		err := c.t.Validate()
		if err == nil || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%v: %v, want %q", c.t, err, c.mention)
		}
		if c.t.WriteITKSNAP(&bytes.Buffer{}) == nil || c.t.WriteJSON(&bytes.Buffer{}) == nil {
			t.Errorf("%v: written despite being invalid", c.t)
		}
	}
}

// TestWriteLabelsSidecars: WriteLabels puts both label files beside the map
// and warns about labels the table lacks.
func TestWriteLabelsSidecars(t *testing.T) {
	g := phantomGrid()
	labels := make([]uint8, g.Columns*g.Rows*g.Slices)
	labels[5], labels[6], labels[7] = 1, 2, 9
	dir := t.TempDir()
	p := filepath.Join(dir, "mask.nii.gz")
	info, err := WriteLabels(context.Background(), p, g, labels, testTable, WriteOptions{Descrip: "mmcseg test"})
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{filepath.Join(dir, "mask_labels.txt"), filepath.Join(dir, "mask_labels.json")}
	if fmt.Sprint(info.LabelFiles) != fmt.Sprint(wantFiles) {
		t.Errorf("label files %v, want %v", info.LabelFiles, wantFiles)
	}
	if len(info.Warnings) != 1 || !strings.Contains(info.Warnings[0], "label 9") {
		t.Errorf("warnings %q, want one about label 9", info.Warnings)
	}
	b, err := os.ReadFile(wantFiles[0])
	if err != nil {
		t.Fatal(err)
	}
	if rows := parseITKSNAP(t, b); len(rows) != 4 {
		t.Errorf("ITK-SNAP file has %d rows", len(rows))
	}
	if names := dirNames(t, dir); len(names) != 3 {
		t.Errorf("folder holds %v", names)
	}
	im, err := ReadFile(context.Background(), p, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := im.Header
	// cal_max covers both the data (9) and the table (200).
	if h.IntentCode != IntentLabel || h.CalMin != 0 || h.CalMax != 200 || h.Datatype != Uint8 || h.Descrip != "mmcseg test" {
		t.Errorf("intent %d cal %g..%g datatype %v descrip %q", h.IntentCode, h.CalMin, h.CalMax, h.Datatype, h.Descrip)
	}
}

// TestLabelsPresent compares the word-skipping scan with the plain loop on
// lengths around the eight-byte steps and labels at every position.
func TestLabelsPresent(t *testing.T) {
	for n := range 40 {
		for pos := range n {
			labels := make([]uint8, n)
			labels[pos], labels[n-1-pos] = 7, 200
			var want [256]bool
			for _, v := range labels {
				want[v] = true
			}
			if got := labelsPresent(labels); got != want {
				t.Fatalf("n=%d, labels at %d and %d: wrong set", n, pos, n-1-pos)
			}
		}
	}
}
