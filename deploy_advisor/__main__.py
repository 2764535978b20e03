from deploy_advisor.cli import main

main()
