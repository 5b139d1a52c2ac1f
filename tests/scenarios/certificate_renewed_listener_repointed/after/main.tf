# An HTTPS listener's certificate is renewed (new key and certificate): the cloud refuses to delete
# a certificate a listener uses, so the new one is uploaded first, the listener re-pointed, then the
# old one deleted.

resource "alicloud_slb_load_balancer" "shop" {
  load_balancer_name   = "scn-renew"
  address_type         = "internet"
  internet_charge_type = "PayByTraffic"
  load_balancer_spec   = "slb.s2.small"
}

resource "alicloud_slb_server_certificate" "shop" {
  name               = "scn-shop-example-com"
  server_certificate = <<-PEM
    -----BEGIN CERTIFICATE-----
    MIIDRTCCAi2gAwIBAgIUC0bjqUpmzD14nfBTpPuNcj4ZC1UwDQYJKoZIhvcNAQEL
    BQAwMjEZMBcGA1UEAwwQc2hvcC5leGFtcGxlLmNvbTEVMBMGA1UECwwMZ2VuZXJh
    dGlvbiAyMB4XDTI2MTIwNDIwNTkxM1oXDTM2MTIwMTIwNTkxM1owMjEZMBcGA1UE
    AwwQc2hvcC5leGFtcGxlLmNvbTEVMBMGA1UECwwMZ2VuZXJhdGlvbiAyMIIBIjAN
    BgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA0c5B6BaObR+6QE24BidFrWxpfPq8
    KnHQp9JDkzstUJyfAlLdl/h1V63Guhs+y3IMgbaRHllL78iV+mKychFza0n044Fs
    UOVEAHseSwY4LdbZLcb0DAajpWJQUOYqYHpbt2GJa8i0QxtKv/KMHwKohG0v4hbZ
    JwWE7FBVfb6edBaycmay1JDnyVIvSwCjIAV3VKRMsGnJcXWWXSmzIPi4EsSjuRmt
    c/n5X3FRYfjjt1FgtGFN56FH9AUr+Ctk0Pl2eZTPDXhyUt8cwxhaBXiLgQHBv53w
    79WhAGr+opr2gmJiP8ktsdbmwVGjglQ+5r/azCVJJTkpqqEVyt48sdY8nQIDAQAB
    o1MwUTAdBgNVHQ4EFgQUN8Owngi23lD4/S2pmponhqHnEVAwHwYDVR0jBBgwFoAU
    N8Owngi23lD4/S2pmponhqHnEVAwDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0B
    AQsFAAOCAQEAUQeIZqbPMm4h3U73EcJxbjvsII9tjcLMIQoCJHcRCsbqZlKfP/rj
    C2fQ5NH+NoOn3wvlrLwBUApY+37qMu7BqmnpPjjl9KOFQCS2uxlScBFUn7tDOJag
    FG/Q5O2mQUuaitdpz2E0SwfvpZu/cFfHry+M92I1w+d5i7/rnK+gPNYHaqk1m3hI
    XXHoWk1fvNq/8X8PyAJH/weJTBzwjeH7R/yONMqTh0w6OMt1117kOcrLQCinfbh/
    sM3azDNtBqjx2xTJmtxl89DINxu+JRsRff127makRif7OD+LN8kYueyHkoBjMIP6
    ANJtvCAhr+fDBjs9Qh57ldRmfZL/pRjERg==
    -----END CERTIFICATE-----
  PEM
  private_key        = <<-PEM
    -----BEGIN PRIVATE KEY-----
    MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQDRzkHoFo5tH7pA
    TbgGJ0WtbGl8+rwqcdCn0kOTOy1QnJ8CUt2X+HVXrca6Gz7LcgyBtpEeWUvvyJX6
    YrJyEXNrSfTjgWxQ5UQAex5LBjgt1tktxvQMBqOlYlBQ5ipgelu3YYlryLRDG0q/
    8owfAqiEbS/iFtknBYTsUFV9vp50FrJyZrLUkOfJUi9LAKMgBXdUpEywaclxdZZd
    KbMg+LgSxKO5Ga1z+flfcVFh+OO3UWC0YU3noUf0BSv4K2TQ+XZ5lM8NeHJS3xzD
    GFoFeIuBAcG/nfDv1aEAav6imvaCYmI/yS2x1ubBUaOCVD7mv9rMJUklOSmqoRXK
    3jyx1jydAgMBAAECggEACTeKWq1SM9+ocxzwjPvafXkDro6Y7jTSabgv6TIFo0+p
    U26B6j3rV18JgD4kXvpGki4+9G12cg7GulmHcfTSGr0Etp5TCVmN4e2GuHbWyGC/
    aSaFeYyTHnfFHbPqDOBjOUx3v1XxlJJVRHB3dzQXl7wj1eCS4qCri1j0huuOxeLv
    wn9vlqtARH82PQur165dDyzvabU23T/SWodB1errU17nlZKgIiMa3AuL+/GAeNx+
    WbNyGRvwLSK8MmwjhEGqLQJqf/AvUChckvNH9nakggTNls/IauGkCdYswKbGwbBv
    CRyWiaC8W0UrCwYpD4S1PmMZDMTlWuBSfYECFhnm2wKBgQD5Hr2kdBE5A+owyKTE
    9RDh8TS0YdVraqIrX7SYNUB3EtodRnjl8ABhbZypo7NMh/8+tcgU0/jfahKRE5Hv
    pl5Iw6FqCdLrorMuPktQtWWXCCb03w8n1ASMJlLhgCHrn2aur06F+Q9D/WfX8aqN
    LzlscDviMNTAcUkhj1+njPJYNwKBgQDXmZEqW8zpmBibMW0QvSthGhkSN36O+oDU
    9N38Txsd0zuYMpJUcWEMYq7jxZK5cp2zuHYeZZvvRInOEXs9hdYZy7NUTU543eLL
    gJcbdOuu2pByjec/BjRtIWLrnVgdr8tz+dxutP6NWEAxv7MRQDgyWX+WiXK06Y+H
    qa4eSdF/ywKBgH5ZOAfrkjyfnqylZuQ6AxkFNBz0rcCwMZXcEYVNJOf/mL5WWsUM
    R7UiWd20GCENrMhKfDMMG2J8svP/v/mTIKi5B+n3F5HJUCV5FMvXZLIIQXHanB4w
    KypF2a1jRlDx5KteYG4Ulsh+AqgEeuLme7Ji7gxXheAg1N1/kR0yoEtbAoGAMHYR
    Pi8ySRNp/IBInqmWtZXTKtgUd3jxOmzr9MmnM7YGQDil0ZtGkC0iWIpRZ6POtNXy
    nvSB7289dndRd0u9C0FRRtK1n89oKgv2azKFw2DXdRhWcUEoyZrmjEVqyAl6ts/j
    73J5gTXkAAqx6l/AAflCB4lPokCZhYnrXF2FXK8CgYAx0HPlcOJwsiUsXdhV1Cm8
    CcEMsDNktUsoMeV+/G7ZUAtKnnRT6540njXDAzkosHV8W56m/SEIVLLyztPHYSMy
    p2PEQUt5qdyAxWskSWldbu4LFsb7ACX6CpbacEjvdeYvtgl4B9cWfViHfgzXrpPm
    n4cYdZ6ZAuJAYlDuVbQTtw==
    -----END PRIVATE KEY-----
  PEM
}

resource "alicloud_slb_listener" "https" {
  load_balancer_id      = alicloud_slb_load_balancer.shop.id
  protocol              = "https"
  frontend_port         = 443
  backend_port          = 8080
  bandwidth             = 50
  server_certificate_id = alicloud_slb_server_certificate.shop.id
  health_check_uri      = "/healthz"
}
