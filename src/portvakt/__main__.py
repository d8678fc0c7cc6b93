from portvakt.cli import main

main()
