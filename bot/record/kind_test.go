package record

import "testing"

func TestKindsDeclareKeysAndRefuseMistakes(t *testing.T) {
	ks, err := NewKinds(Kind{Name: "poll", Key: "poll:{id}", Shape: SharedRecord, Owners: OwnedByMembers})
	if err != nil {
		t.Fatal(err)
	}
	ci, _ := ks.Get(KindCheckIn)
	if got := ci.KeyFor("anna", "2026-11-23"); got != "ci:anna:2026-11-23" {
		t.Errorf("check-in key = %q", got)
	}
	if got := ci.IndexFor("anna", ""); got != "cix:anna" {
		t.Errorf("check-in index = %q", got)
	}
	h, _ := ks.Get(KindHelp)
	if got := h.IndexFor("anna", "2B"); got != "hq:2B" {
		t.Errorf("help index = %q", got)
	}
	if n := len(ks.All()); n != 3 {
		t.Errorf("%d kinds, want 3", n)
	}
	bad := []Kind{
		{Name: "poll", Key: "p:{id}", Shape: Document, Owners: OwnedByNone},           // twice
		{Name: "x y", Key: "x:{id}", Shape: Document, Owners: OwnedByNone},            // name
		{Name: "x", Key: "x", Shape: Document, Owners: OwnedByNone},                   // no {id}
		{Name: "x", Key: "x:{owner}:{id}", Shape: SharedRecord, Owners: OwnedByNone},  // shared per owner
		{Name: "x", Key: "x:{id}", Shape: Document, Index: "xi", Owners: OwnedByNone}, // index without unit
		{Name: "x", Key: "x:{id}", Shape: Document, Owners: "everyone"},               // owners
		{Name: "x", Key: "x:{id}", Shape: "blob", Owners: OwnedByNone},                // shape
	}
	for _, k := range bad {
		if err := ks.Add(k); err == nil {
			t.Errorf("%+v accepted", k)
		}
	}
}
