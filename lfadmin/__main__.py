from lfadmin.cli import main

main()
