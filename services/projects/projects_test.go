package projects

import (
	"testing"

	"tongdu/services/projects/internal/works"
)

func TestThresholdsFromConfiguration(t *testing.T) {
	th, err := (&Config{}).Thresholds()
	if err != nil || th != works.DefaultThresholds {
		t.Fatalf("defaults %v, %v", th, err)
	}
	th, err = (&Config{SatisfiedShare: "3/4", RespondedShare: "0.6"}).Thresholds()
	if err != nil || th.Satisfied != (works.Fraction{Num: 3, Den: 4}) || th.Responded != (works.Fraction{Num: 600000, Den: 1000000}) {
		t.Fatalf("configured %v, %v", th, err)
	}
	for _, c := range []Config{{SatisfiedShare: "4/3"}, {RespondedShare: "half"}} {
		if _, err := c.Thresholds(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
