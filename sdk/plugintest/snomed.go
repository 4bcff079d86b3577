package plugintest

import "fmt"

// Verhoeff's dihedral-group check digit, which SNOMED CT identifiers end
// with (SNOMED CT Technical Implementation Guide, "SCTID check digit").
var (
	verhoeffD = [10][10]int{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		{1, 2, 3, 4, 0, 6, 7, 8, 9, 5},
		{2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
		{3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
		{4, 0, 1, 2, 3, 9, 5, 6, 7, 8},
		{5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2},
		{7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
		{8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
		{9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
	}
	verhoeffP = [8][10]int{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		{1, 5, 7, 6, 2, 8, 3, 0, 9, 4},
		{5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
		{8, 9, 1, 6, 0, 4, 3, 5, 2, 7},
		{9, 4, 5, 3, 1, 2, 8, 7, 0, 6},
		{4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
		{2, 7, 9, 3, 8, 0, 6, 4, 1, 5},
		{7, 0, 4, 6, 9, 1, 3, 2, 5, 8},
	}
)

// checkSCTID says what is wrong with a SNOMED CT concept identifier, or
// returns nil: 6 to 18 digits, no leading zero, a concept partition ("00"
// or "10" before the check digit) and a valid Verhoeff check digit.
func checkSCTID(id string) error {
	if len(id) < 6 || len(id) > 18 {
		return fmt.Errorf("%q has %d digits, SNOMED CT identifiers have 6 to 18", id, len(id))
	}
	if id[0] == '0' {
		return fmt.Errorf("%q starts with 0", id)
	}
	c := 0
	for i := 0; i < len(id); i++ {
		ch := id[len(id)-1-i]
		if ch < '0' || ch > '9' {
			return fmt.Errorf("%q is not all digits", id)
		}
		c = verhoeffD[c][verhoeffP[i%8][ch-'0']]
	}
	if c != 0 {
		return fmt.Errorf("%q fails the Verhoeff check digit", id)
	}
	if part := id[len(id)-3 : len(id)-1]; part != "00" && part != "10" {
		return fmt.Errorf("%q has partition %s, not a concept (00 or 10)", id, part)
	}
	return nil
}
