resource "aws_instance" "web" {
	ami = "abc"
	instance_type   =   "t2.micro"
	tags = {
		Name = "web"
		Environment = "prod"
	}
}
