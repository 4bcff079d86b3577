package tag

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/internal/shareddata"
)

func TestDictionarySorted(t *testing.T) {
	for i := 1; i < len(dict); i++ {
		if dict[i-1].Tag >= dict[i].Tag {
			t.Fatalf("dict not strictly sorted at %v, %v", dict[i-1].Tag, dict[i].Tag)
		}
	}
}

func TestTag(t *testing.T) {
	tg := New(0x7FE0, 0x0010)
	if tg != PixelData || tg.Group() != 0x7FE0 || tg.Element() != 0x0010 {
		t.Fatalf("New(7FE0,0010) = %v", tg)
	}
	if got := tg.String(); got != "(7FE0,0010)" {
		t.Errorf("String = %q", got)
	}
	if got := tg.Name(); got != "PixelData" {
		t.Errorf("Name = %q", got)
	}
	if got := New(0x0029, 0x1010).Name(); got != "(0029,1010)" {
		t.Errorf("unknown Name = %q", got)
	}
	if !New(0x0029, 0x1010).IsPrivate() || PixelData.IsPrivate() {
		t.Error("IsPrivate wrong")
	}
	if i, ok := Find(New(0x0028, 0x0000)); !ok || i.VR != "UL" {
		t.Errorf("group length: %+v %v", i, ok)
	}
	if _, ok := Find(New(0x0009, 0x1001)); ok {
		t.Error("found a private tag")
	}
	if i, ok := Find(Rows); !ok || i.VR != "US" || i.Keyword != "Rows" {
		t.Errorf("Find(Rows) = %+v %v", i, ok)
	}
}

// TestDictionaryAgreesWithDCMTK checks every entry's keyword and VR against
// DCMTK's data dictionary, an independent transcription of PS3.6.
func TestDictionaryAgreesWithDCMTK(t *testing.T) {
	const path = "/usr/share/libdcmtk17/dicom.dic"
	f, err := os.Open(path)
	if err != nil {
		if shareddata.InCI() {
			t.Fatalf("DCMTK dictionary: %v", err)
		}
		t.Skipf("DCMTK dictionary not installed: %v", err)
	}
	defer f.Close()
	type ent struct{ vr, kw string }
	dcmtk := map[string]ent{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || !strings.HasPrefix(line, "(") {
			continue
		}
		fields := strings.Split(line, "\t")
		if len(fields) < 3 {
			continue
		}
		dcmtk[strings.ToUpper(fields[0])] = ent{fields[1], fields[2]}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	// DCMTK's pseudo-VRs and the VR we chose for each.
	allowed := map[string][]string{"xs": {"US", "SS"}, "ox": {"OB", "OW"}, "lt": {"OW", "US", "SS"}, "px": {"OB", "OW"}, "up": {"UL"}}
	for _, e := range dict {
		d, ok := dcmtk[e.Tag.String()]
		if !ok {
			t.Errorf("%v %s is not in DCMTK's dictionary", e.Tag, e.Keyword)
			continue
		}
		if d.kw != e.Keyword {
			t.Errorf("%v: keyword %q, DCMTK says %q", e.Tag, e.Keyword, d.kw)
		}
		if alts, ok := allowed[d.vr]; ok {
			found := false
			for _, a := range alts {
				found = found || a == e.VR
			}
			if !found {
				t.Errorf("%v %s: VR %s, DCMTK says %s", e.Tag, e.Keyword, e.VR, d.vr)
			}
		} else if d.vr != e.VR {
			t.Errorf("%v %s: VR %s, DCMTK says %s", e.Tag, e.Keyword, e.VR, d.vr)
		}
	}
}

func ExampleFind() {
	i, _ := Find(New(0x0028, 0x0030))
	fmt.Println(i.Keyword, i.VR)
	// Output: PixelSpacing DS
}
