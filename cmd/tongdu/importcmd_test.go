package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/platform/auth"
	"tongdu/platform/redisproc"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
)

// tongdu import previews a register, printing the summary and each bad row, and with
// --confirm applies it as the operator; a second run finds every row unchanged.
func TestImportCommand(t *testing.T) {
	if !redisproc.Available() {
		t.Skip("no redis-server on PATH")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	app, err := allinone.Start(ctx, allinone.Config{HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", DataDir: dir},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("start the all-in-one: %v", err)
	}
	defer app.Close()
	conn, err := grpc.NewClient(app.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tok, _ := app.Signer().Sign(auth.Principal{Subject: "admin", Role: auth.DistrictAdmin}, time.Hour)
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
	gov := pb.NewGovernanceServiceClient(conn)
	parent := ""
	for _, l := range []pb.Region_Level{pb.Region_DISTRICT, pb.Region_SUBDISTRICT, pb.Region_COMMUNITY} {
		r, err := gov.CreateRegion(ctx, &pb.CreateRegionRequest{Region: &pb.Region{Name: l.String(), Level: l, Parent: parent}})
		if err != nil {
			t.Fatal(err)
		}
		parent = r.GetId()
	}
	cp, err := gov.CreateCompound(ctx, &pb.CreateCompoundRequest{Compound: &pb.Compound{Name: "石羊路21号院", CommunityId: parent}})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "register.csv")
	csv := "building,unit,room,area_m2,name,phone,id_number,party_member,needs_accessibility\n" +
		"1号楼,1,101,60,张三,13800000001,11010519491231002X,是,否\n" +
		"1号楼,1,102,62.5,李四,,110105194912310021,否,否\n"
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string, string) {
		var o, e bytes.Buffer
		old := stdout
		stdout = &o
		defer func() { stdout = old }()
		code := dispatch(append([]string{"import", "--grpc-addr", app.GRPCAddr(), "--data-dir", dir}, args...), &e)
		return code, o.String(), e.String()
	}
	code, out, errOut := run("--compound", cp.GetId(), file)
	if code != 0 || !strings.Contains(out, "1 new") || !strings.Contains(out, "1 with errors") || !strings.Contains(out, "row 3, 身份证号:") ||
		!strings.Contains(out, "dry run") {
		t.Fatalf("dry run: exit %d, out %q, err %q", code, out, errOut)
	}
	if strings.Contains(out, "李四") || strings.Contains(out, "110105194912310021") {
		t.Fatalf("the summary shows personal data: %q", out)
	}
	code, out, errOut = run("--compound", cp.GetId(), file, "--confirm")
	if code != 0 || !strings.Contains(out, "APPLIED: 1 rows applied") {
		t.Fatalf("confirm: exit %d, out %q, err %q", code, out, errOut)
	}
	list, err := gov.ListHouseholds(ctx, &pb.ListHouseholdsRequest{CompoundId: cp.GetId()})
	if err != nil || len(list.GetHouseholds()) != 1 {
		t.Fatalf("households after the import: %v %v", list.GetHouseholds(), err)
	}
	if code, out, _ = run("--compound", cp.GetId(), file); code != 0 || !strings.Contains(out, "0 new, 0 changed, 1 unchanged") {
		t.Fatalf("again: exit %d, out %q", code, out)
	}
	if code, _, errOut = run("--kind", "FLATS", file); code != 2 {
		t.Fatalf("a wrong kind: exit %d, err %q", code, errOut)
	}
}
