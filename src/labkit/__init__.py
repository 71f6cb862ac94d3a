"""What the commands of bp_excel and mnist_keras share: the CLI's error type, parser and main()
wrapper (cli), atomic and reproducible file writes (files), and the record of where and with
what a result was made (provenance). It imports neither package."""
