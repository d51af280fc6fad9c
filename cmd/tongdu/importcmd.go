package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/grpc/metadata"

	"tongdu/platform/auth"
	"tongdu/platform/config"
	"tongdu/platform/grpcclient"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
)

// importFile runs tongdu import: a household register or compound inventory previewed
// (the summary and each row's errors printed) and, with --confirm, applied.
func importFile(args []string) error {
	var kind, compound, community, grpcAddr, dataDir, tok, id string
	var confirm bool
	set := config.New("tongdu import")
	set.String(&kind, "kind", "HOUSEHOLDS", "what the file holds: HOUSEHOLDS (a compound's register) or COMPOUNDS (a community's inventory)")
	set.String(&compound, "compound", "", "the compound whose households the file registers (kind HOUSEHOLDS)")
	set.String(&community, "community", "", "the community whose compounds the file lists (kind COMPOUNDS)")
	set.String(&grpcAddr, "grpc-addr", "127.0.0.1:9090", "gRPC address of the running Tongdu")
	set.String(&dataDir, "data-dir", "./data", "data dir of the running Tongdu (without --token its key signs one for the operator here)")
	set.String(&id, "id", "", "confirm this earlier preview (printed by a dry run) instead of reading a file")
	set.Secret(&tok, "token", "", "bearer token to act with (the signed-in account recorded on the changes)")
	if err := set.Bool(&confirm, "confirm", false, "apply the rows previewed (without it: a dry run only)"); err != nil {
		return err
	}
	set.SetOutput(helpOut)
	// Flags may come before or after the file.
	var file string
	for rest := args; ; {
		if err := set.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return usageError{err}
		}
		if rest = set.Args(); len(rest) == 0 {
			break
		}
		if file != "" {
			return usageError{fmt.Errorf("unexpected argument %q", rest[0])}
		}
		file, rest = rest[0], rest[1:]
		if len(rest) == 0 {
			break
		}
	}
	if id != "" && file == "" {
		if !confirm {
			return usageError{errors.New("--id confirms a preview: add --confirm")}
		}
	} else if file == "" {
		return usageError{errors.New("name the file: tongdu import --kind HOUSEHOLDS --compound ID register.xlsx [--confirm]")}
	}
	k, ok := governancepb.Import_Kind_value[strings.ToUpper(kind)]
	if !ok || k == 0 {
		return usageError{fmt.Errorf("--kind: HOUSEHOLDS or COMPOUNDS, not %q", kind)}
	}
	if tok == "" {
		// The operator at the machine is trusted as the district's administrator, and
		// named (rule 16) by their login here.
		_, signer, err := auth.Setup(context.Background(), auth.Keys{DataDir: dataDir})
		if err != nil {
			return err
		}
		who := "operator"
		if u, err := user.Current(); err == nil {
			who = "cli:" + u.Username
		}
		if tok, err = signer.Sign(auth.Principal{Subject: who, Role: auth.DistrictAdmin}, time.Hour); err != nil {
			return err
		}
	}
	conn, err := grpcclient.New(grpcAddr)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
	client := governancepb.NewImportServiceClient(conn)
	if file == "" {
		return confirmImport(ctx, client, id)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	imp, err := client.CreateImport(ctx, &governancepb.CreateImportRequest{Kind: governancepb.Import_Kind(k), CompoundId: compound,
		CommunityId: community, FileName: filepath.Base(file), Content: data})
	if err != nil {
		return err
	}
	printImport(stdout, imp)
	if !confirm {
		fmt.Fprintf(stdout, "dry run: nothing changed; apply it with tongdu import --id %s --confirm (within a day)\n", imp.GetId())
		return nil
	}
	return confirmImport(ctx, client, imp.GetId())
}

func confirmImport(ctx context.Context, client governancepb.ImportServiceClient, id string) error {
	start := time.Now()
	done, err := client.ConfirmImport(ctx, &governancepb.ConfirmImportRequest{Id: id})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "import %s %s: %d rows applied in %s\n", id, done.GetState(), done.GetApplied(), time.Since(start).Round(time.Millisecond))
	return nil
}

// printImport prints the summary and each row with errors (row, column, reason).
func printImport(w io.Writer, imp *governancepb.Import) {
	s := imp.GetSummary()
	fmt.Fprintf(w, "import %s: %d rows: %d new, %d changed, %d unchanged, %d with errors\n",
		imp.GetId(), imp.GetRowCount(), s.GetNew(), s.GetChanged(), s.GetUnchanged(), s.GetErrors())
	for _, r := range imp.GetRows() {
		for _, e := range r.GetErrors() {
			fmt.Fprintf(w, "  row %d, %s: %s\n", r.GetRow(), e.GetColumn(), e.GetReason())
		}
	}
}
