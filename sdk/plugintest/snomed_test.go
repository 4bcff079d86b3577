package plugintest

import (
	"strings"
	"testing"
)

func TestCheckSCTID(t *testing.T) {
	// Codes used in DICOM-SEG files written by dcmqi and highdicom
	// (../shared/data/seg-*), and by DICOM PS3.16 CID 7150/7151.
	for _, id := range []string{"10200004", "123037004", "272673000", "29092000", "421060004",
		"434162003", "49755003", "85756007", "39607008", "52988006", "108369006", "91723000"} {
		if err := checkSCTID(id); err != nil {
			t.Errorf("real code rejected: %v", err)
		}
	}
	for id, why := range map[string]string{
		"12345":    "5 digits",
		"0123456":  "starts with 0",
		"12a4567":  "not all digits",
		"T-D0050":  "not all digits", // a legacy SNOMED RT code under scheme SCT
		"1234567":  "partition 56",
		"39607028": "partition 02",
	} {
		err := checkSCTID(id)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("%s: %v, want %q", id, err, why)
		}
	}
}
