package host

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Names of the evaluation's summary files in OutDir.
const (
	EvalMetricsJSON = "metrics.json"
	EvalMetricsCSV  = "metrics.csv"
	EvalTableName   = "table.md"
)

// EvalScoreLabel says in words how the scores under key were obtained.
func EvalScoreLabel(key string) string {
	switch key {
	case ScoreDeployable:
		return "deployable: the plugin's own mask, at the image's size"
	case ScoreDeployableWork:
		return "deployable at S×S: the plugin's mask and the GT resized and binarised as the paper does"
	case ScorePaper:
		return "paper protocol: GT-assisted cluster + dilated-GT crop, at S×S (the authors' code)"
	case ScorePaperLabel0:
		return "paper protocol, label 0 selectable (our correction of the authors' code)"
	}
	return key
}

// writeAggregate writes metrics.json, metrics.csv and table.md. Called with
// e.mu held.
func (e *evaluation) writeAggregate(rep *EvalReport) error {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := evalWriteFileAtomic(filepath.Join(e.opts.OutDir, EvalMetricsJSON), append(data, '\n')); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := WriteEvalCSV(&b, rep); err != nil {
		return err
	}
	if err := evalWriteFileAtomic(filepath.Join(e.opts.OutDir, EvalMetricsCSV), b.Bytes()); err != nil {
		return err
	}
	b.Reset()
	if err := WriteEvalTable(&b, rep); err != nil {
		return err
	}
	return evalWriteFileAtomic(filepath.Join(e.opts.OutDir, EvalTableName), b.Bytes())
}

// WriteEvalCSV writes one row per image: name, files, outcome, time, steps,
// the clusters the paper protocol chose, then KEY.METRIC for every score
// key and metric (fractions and pixels; empty where undefined).
func WriteEvalCSV(w io.Writer, rep *EvalReport) error {
	cw := csv.NewWriter(w)
	head := []string{"name", "image", "mask", "error", "reused", "seconds", "steps", "work_rows", "work_columns", "paper_cluster", "paper_cluster_label0"}
	for _, k := range rep.ScoreKeys {
		for _, m := range MetricNames {
			head = append(head, k+"."+m)
		}
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	optInt := func(p *int) string {
		if p == nil {
			return ""
		}
		return strconv.Itoa(*p)
	}
	for _, r := range rep.PerImage {
		row := []string{r.Name, r.Image, r.Mask, r.Error, strconv.FormatBool(r.Reused),
			strconv.FormatFloat(r.Seconds, 'f', 3, 64), strconv.Itoa(r.Steps),
			strconv.Itoa(r.WorkRows), strconv.Itoa(r.WorkColumns), optInt(r.PaperCluster), optInt(r.PaperClusterLabel0)}
		for _, k := range rep.ScoreKeys {
			s, ok := r.Scores[k]
			for _, m := range MetricNames {
				v := s.Get(m)
				if !ok || r.Error != "" || !v.Valid() {
					row = append(row, "")
					continue
				}
				row = append(row, strconv.FormatFloat(float64(v), 'g', 8, 64))
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteEvalTable writes the means as a markdown table: DSC, HM and XOR in
// percent (as the paper prints them), HD and HD95 in pixels, each as mean ±
// sample standard deviation, with the count of images where a distance is
// undefined.
func WriteEvalTable(w io.Writer, rep *EvalReport) error {
	var b strings.Builder
	state := ""
	if !rep.Complete {
		state = ", INCOMPLETE"
	}
	fmt.Fprintf(&b, "mmcseg eval: plugin %s %s on %s: %d of %d images scored, %d failed%s\n\n",
		rep.Plugin.Name, rep.Plugin.Version, evalDataName(rep), rep.Scored, rep.Pairs, rep.Failed, state)
	fmt.Fprintln(&b, "| scores | n | DSC % | HM % | XOR % | HD px | HD95 px |")
	fmt.Fprintln(&b, "|---|---|---|---|---|---|---|")
	for _, k := range rep.ScoreKeys {
		means := rep.Means[k]
		fmt.Fprintf(&b, "| %s | %d |", EvalScoreLabel(k), means["dsc"].N+means["dsc"].Undefined)
		for _, m := range MetricNames {
			st := means[m]
			scale, prec := 100.0, 1
			if m == "hd" || m == "hd95" {
				scale = 1
			}
			cell := "–"
			if st.Mean.Valid() {
				cell = strconv.FormatFloat(float64(st.Mean)*scale, 'f', prec, 64)
				if st.Std.Valid() {
					cell += " ± " + strconv.FormatFloat(float64(st.Std)*scale, 'f', prec, 64)
				}
			}
			if st.Undefined > 0 {
				cell += fmt.Sprintf(" (%d undefined)", st.Undefined)
			}
			fmt.Fprintf(&b, " %s |", cell)
		}
		fmt.Fprintln(&b)
	}
	fmt.Fprintf(&b, "\nPer image: %.1f s of plugin time and %.1f steps on average; %d jobs × %d threads on %d × %s (load %s → %s).\n",
		rep.SecondsMean, rep.StepsMean, rep.Jobs, rep.Threads, rep.Machine.CPUs, rep.Machine.CPU, rep.Machine.LoadStart, rep.Machine.LoadEnd)
	fmt.Fprintf(&b, "Parameters: %s (key %s).\n", evalParamsText(rep.Params), rep.Key)
	for _, wmsg := range rep.Warnings {
		fmt.Fprintf(&b, "Warning: %s\n", wmsg)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func evalDataName(rep *EvalReport) string {
	if rep.Dataset != "" {
		return rep.Dataset
	}
	return rep.Images
}

func evalParamsText(p map[string]string) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + p[k]
	}
	return strings.Join(parts, " ")
}
