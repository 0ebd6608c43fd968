// Command ferretdb-local runs FerretDB v1 (a MongoDB wire-protocol server) for local
// development and tests, through FerretDB's embeddable package.
//
// Why not `go install .../cmd/ferretdb`: FerretDB's own command reads its version from
// build/version/version.txt, which is generated at release time and absent from the module
// zip on the Go module proxy, so a binary built from the proxy panics at start. The
// embeddable package skips that check, and gives us the same server.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // served only with -debug-addr
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"github.com/jackc/pgx/v5"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	handler := flag.String("handler", "sqlite", "backend: sqlite or postgresql")
	sqliteURL := flag.String("sqlite-url", "file:data/", "SQLite URI of the data directory (sqlite handler)")
	postgresURL := flag.String("postgresql-url", "", "PostgreSQL URL (postgresql handler)")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	debugAddr := flag.String("debug-addr", "", "if set, serve Go's pprof profiles on this address (diagnostics)")
	batchSize := flag.Int("batch-size", 0, "most documents one insert writes per transaction (0: FerretDB's default, 100)")
	flag.Parse()

	if *debugAddr != "" {
		go func() {
			if err := http.ListenAndServe(*debugAddr, nil); err != nil {
				fmt.Fprintf(os.Stderr, "ferretdb-local: -debug-addr: %v\n", err)
			}
		}()
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb-local: bad -log-level: %v\n", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	if *handler == "postgresql" {
		// Started beside PostgreSQL by the same supervisor: wait for it, and create FerretDB's
		// database, which FerretDB itself requires to exist at start.
		if err := ensureDatabase(*postgresURL, 60*time.Second); err != nil {
			fmt.Fprintf(os.Stderr, "ferretdb-local: %v\n", err)
			os.Exit(1)
		}
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: *listen},
		Logger:        logger,
		Handler:       *handler,
		SQLiteURL:     *sqliteURL,
		PostgreSQLURL: *postgresURL,
		BatchSize:     *batchSize,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb-local: %v\n", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	logger.Info("ferretdb-local listening", "addr", *listen, "handler", *handler)
	if err := f.Run(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintf(os.Stderr, "ferretdb-local: %v\n", err)
		os.Exit(1)
	}
}

// ensureDatabase waits until the PostgreSQL server of rawURL answers, then creates the
// database rawURL names if it does not exist yet.
func ensureDatabase(rawURL string, timeout time.Duration) error {
	target, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("bad -postgresql-url: %w", err)
	}
	name := strings.TrimPrefix(target.Path, "/")
	if name == "" {
		return fmt.Errorf("-postgresql-url names no database")
	}
	admin := *target
	admin.Path = "/postgres"
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err = createIfMissing(ctx, admin.String(), name)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("PostgreSQL at %s not usable within %s: %w", target.Host, timeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func createIfMissing(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	if err != nil && strings.Contains(err.Error(), "already exists") {
		return nil
	}
	return err
}
