from huafeng.cli import main

main()
