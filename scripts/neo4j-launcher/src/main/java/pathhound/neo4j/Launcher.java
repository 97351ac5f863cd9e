package pathhound.neo4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

/**
 * Runs an embedded Neo4j Community DBMS with only the Bolt connector, for tests (see scripts/neo4j).
 *
 * <p>Usage: {@code java -cp ... pathhound.neo4j.Launcher --home DIR --port P [--conf key=value]...}.
 * The password of user {@code neo4j} comes from the environment variable {@code NEO4J_PASSWORD}
 * (so it never shows in the process list). Bolt listens on 127.0.0.1:P without TLS, with
 * authentication on. Prints {@code PATHHOUND_NEO4J_READY bolt://127.0.0.1:P} once the password is
 * set and the default database answers, then blocks until SIGTERM/SIGINT, which shuts the DBMS
 * down cleanly.
 */
public final class Launcher {
    private Launcher() {}

    public static void main(String[] args) {
        try {
            run(args);
        } catch (Throwable t) {
            // exit instead of hanging on the DBMS's non-daemon threads; the hook shuts it down
            System.out.println("pathhound-neo4j: failed to start");
            t.printStackTrace(System.out);
            System.out.flush();
            System.exit(1);
        }
    }

    private static void run(String[] args) throws Exception {
        Path home = null;
        int port = -1;
        Map<String, String> extra = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length) {
                usage("missing value after " + a);
            }
            switch (a) {
                case "--home" -> home = Path.of(args[++i]).toAbsolutePath();
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--conf" -> {
                    String kv = args[++i];
                    int eq = kv.indexOf('=');
                    if (eq <= 0) {
                        usage("--conf wants key=value, got " + kv);
                    }
                    extra.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
                default -> usage("unknown argument " + a);
            }
        }
        if (home == null || port < 0) {
            usage("--home and --port are required");
        }
        String password = System.getenv("NEO4J_PASSWORD");
        if (password == null || password.isEmpty()) {
            usage("NEO4J_PASSWORD must be set in the environment");
        }

        Map<String, String> cfg = new LinkedHashMap<>();
        cfg.put("server.bolt.enabled", "true");
        cfg.put("server.bolt.listen_address", "127.0.0.1:" + port);
        cfg.put("server.bolt.advertised_address", "127.0.0.1:" + port);
        cfg.put("server.bolt.tls_level", "DISABLED");
        cfg.put("dbms.security.auth_enabled", "true");
        // tests may use short passwords such as "test"
        cfg.put("dbms.security.auth_minimum_password_length", "1");
        cfg.put("server.memory.pagecache.size", "64m");
        cfg.put("dbms.usage_report.enabled", "false");
        // Netty waits 2 x 5 s of "quiet period" on shutdown by default; tests stop servers often.
        cfg.put("internal.dbms.bolt.netty_server_shutdown_quiet_period", "0");
        cfg.put("internal.dbms.bolt.netty_server_shutdown_timeout", "2s");
        cfg.putAll(extra);

        long t0 = System.nanoTime();
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .loadPropertiesFromFile(writeConf(home, cfg))
                .build();
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(() -> {
                    System.out.println("pathhound-neo4j: shutting down");
                    dbms.shutdown();
                    done.countDown();
                }, "pathhound-neo4j-shutdown"));

        setPassword(dbms, password);
        dbms.database("neo4j").executeTransactionally("RETURN 1");

        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("pathhound-neo4j: started in " + ms + " ms");
        System.out.println("PATHHOUND_NEO4J_READY bolt://127.0.0.1:" + port);
        System.out.flush();
        done.await();
    }

    /** Writes the settings as home/conf/neo4j.conf (the builder takes names only from a file). */
    private static Path writeConf(Path home, Map<String, String> cfg) throws IOException {
        Path conf = home.resolve("conf").resolve("neo4j.conf");
        Files.createDirectories(conf.getParent());
        StringBuilder text = new StringBuilder("# written by pathhound.neo4j.Launcher\n");
        cfg.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        Files.writeString(conf, text);
        return conf;
    }

    /** Sets the password of {@code neo4j} and clears its "change required" flag. */
    private static void setPassword(DatabaseManagementService dbms, String password) {
        var system = dbms.database("system");
        try {
            system.executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));
        } catch (RuntimeException e) {
            // The password already is this one (fresh store with "neo4j", or a kept store).
            String msg = String.valueOf(e.getMessage());
            if (!msg.contains("same")) {
                throw e;
            }
            system.executeTransactionally("ALTER USER neo4j SET PASSWORD CHANGE NOT REQUIRED");
        }
    }

    private static void usage(String why) {
        System.err.println("pathhound-neo4j launcher: " + why);
        System.err.println(
                "usage: NEO4J_PASSWORD=... java -cp CP pathhound.neo4j.Launcher --home DIR --port P"
                        + " [--conf key=value]...");
        System.exit(2);
    }
}
