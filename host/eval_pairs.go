package host

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ErrPairs reports image and mask folders that cannot be paired.
var ErrPairs = errors.New("cannot pair images with masks")

// DefaultMaskName is the default Pairing.MaskName: the mask has the image's
// name (PH2 as kept in ../shared/data, Kaggle's lung CT slices).
const DefaultMaskName = "{stem}"

// Pairing says which files of the images folder to evaluate and how each
// one's reference mask is named.
type Pairing struct {
	// Glob selects image files by name (path.Match syntax, e.g. "*.jpg");
	// "" means every 2D image file (IsImageFile).
	Glob string
	// MaskName is the mask's file name without extension, with {stem}
	// standing for the image's name without extension: "{stem}" (the
	// default), or "{stem}_lesion" for PH2's original IMDnnn_lesion.bmp.
	// The mask may have any image extension; two candidates are an error.
	MaskName string
}

// EvalPair is one image and its reference mask.
type EvalPair struct {
	// Name is the image's file name without extension; it names the pair
	// in reports and its record folder.
	Name  string `json:"name"`
	Image string `json:"image"`
	Mask  string `json:"mask"`
}

// PairImages lists the images in imagesDir that p selects, in name order,
// each with its mask in masksDir. Images without a mask are returned in
// unmatched; masks without an image are ignored. Two images with the same
// name but different extensions, or two masks for one image, are errors.
func PairImages(imagesDir, masksDir string, p Pairing) (pairs []EvalPair, unmatched []string, err error) {
	tmpl := p.MaskName
	if tmpl == "" {
		tmpl = DefaultMaskName
	}
	if !strings.Contains(tmpl, "{stem}") || strings.ContainsAny(tmpl, `/\`) {
		return nil, nil, fmt.Errorf("%w: mask name %q must contain {stem} and no path separator", ErrPairs, tmpl)
	}
	if p.Glob != "" {
		if _, err := filepath.Match(p.Glob, ""); err != nil {
			return nil, nil, fmt.Errorf("%w: bad pattern %q: %w", ErrPairs, p.Glob, err)
		}
	}
	images, err := evalListImages(imagesDir)
	if err != nil {
		return nil, nil, err
	}
	masks, err := evalListImages(masksDir)
	if err != nil {
		return nil, nil, err
	}
	byStem := map[string][]string{}
	for _, m := range masks {
		s := evalStem(m)
		byStem[s] = append(byStem[s], m)
	}
	seen := map[string]string{}
	for _, im := range images {
		if p.Glob != "" {
			if ok, _ := filepath.Match(p.Glob, im); !ok {
				continue
			}
		}
		s := evalStem(im)
		if prev, dup := seen[s]; dup {
			return nil, nil, fmt.Errorf("%w: %s and %s in %s have the same name", ErrPairs, prev, im, imagesDir)
		}
		seen[s] = im
		cands := byStem[strings.ReplaceAll(tmpl, "{stem}", s)]
		switch len(cands) {
		case 0:
			unmatched = append(unmatched, im)
		case 1:
			pairs = append(pairs, EvalPair{Name: s, Image: filepath.Join(imagesDir, im), Mask: filepath.Join(masksDir, cands[0])})
		default:
			return nil, nil, fmt.Errorf("%w: image %s has several masks in %s: %s", ErrPairs, im, masksDir, strings.Join(cands, ", "))
		}
	}
	return pairs, unmatched, nil
}

// evalListImages returns the names of the 2D image files in dir, sorted.
func evalListImages(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPairs, err)
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && IsImageFile(e.Name()) {
			out = append(out, e.Name())
		}
	}
	slices.Sort(out)
	return out, nil
}

func evalStem(name string) string { return strings.TrimSuffix(name, filepath.Ext(name)) }
